"""`python -m polyregion.replication`: the replicator as its own process (killable like one).

Prints replication events as JSON lines on stdout; SIGTERM/SIGINT stop it cleanly with a final
checkpoint; SIGKILL loses nothing either (see checkpoint.py).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from polyregion.errors import ConfigError, PolyregionError


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m polyregion.replication",
        description="Replicate the sandbox's global table, buckets and secret between regions.",
    )
    p.add_argument("--config", help="topology file (default: $POLYREGION_CONFIG or built-ins)")
    p.add_argument(
        "--endpoints",
        help='JSON {"region": "http://127.0.0.1:PORT"} (default $POLYREGION_AWS_ENDPOINTS)',
    )
    p.add_argument("--state-dir", required=True, type=Path, help="checkpoints live here")
    p.add_argument("--control-port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--delay-ms", type=float, help="injected delay for every pair (default: model)")
    p.add_argument("--jitter-ms", type=float, help="uniform jitter added to the delay")
    p.add_argument("--poll-ms", type=float, default=5.0, help="stream polling while busy")
    p.add_argument("--s3-poll-ms", type=float, default=200.0)
    p.add_argument("--secret-poll-ms", type=float, default=500.0)
    p.add_argument("--lanes", type=int, default=1, help="parallel appliers per region pair")
    p.add_argument("--seed", type=int, help="seed for the jitter (reproducible runs)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from polyregion.data.clients import endpoints_from_env
    from polyregion.gc_pauses import keep_full_collections_short
    from polyregion.replication.service import Replicator
    from polyregion.replication.settings import LagModel, ReplicatorSettings
    from polyregion.topology import load

    args = parse(argv)
    # Only loopback endpoints are ever used (settings.py checks): dummy credentials suffice,
    # and real ones are never needed nor looked up.
    for key, value in {"AWS_ACCESS_KEY_ID": "sandbox", "AWS_SECRET_ACCESS_KEY": "sandbox"}.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    try:
        topology = load(args.config)
        if args.endpoints:
            try:
                endpoints = json.loads(args.endpoints)
            except json.JSONDecodeError:
                raise ConfigError("--endpoints", args.endpoints, "a JSON object") from None
        else:
            endpoints = endpoints_from_env()
        settings = ReplicatorSettings(
            topology=topology,
            endpoints=endpoints,
            state_dir=args.state_dir,
            lag=LagModel.from_topology(topology, delay_ms=args.delay_ms, jitter_ms=args.jitter_ms),
            control_port=args.control_port,
            poll_ms=args.poll_ms,
            s3_poll_ms=args.s3_poll_ms,
            secret_poll_ms=args.secret_poll_ms,
            seed=args.seed,
            lanes=args.lanes,
        )
        replicator = Replicator(settings)
        replicator.start()
    except PolyregionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    # Its clients' service models and its state are long-lived: a full collection walking
    # them paused replication for ~60 ms under load (bench/replication.py's p99).
    keep_full_collections_short()

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stop.wait()
    replicator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
