"""`polyregion up` to healthy for a bundled example (issue 12: <= 10 s for fastapi-notes), and
the sandbox's own overhead per request for the app's dynamic page: through a location's edge
against the app's origin served directly (with the origin-verify header the edge adds), in the
same run, interleaved, as a ratio.

Run by hand: `.venv/bin/python bench/up_example.py [--example fastapi-notes] [--runs 5]`.
Each run writes the example's own `polyregion.toml` plus a `[sandbox]` table on free ports
next to it (the app's command runs from the topology file's directory), runs
`polyregion up --fast --detach` with a private run dir, reads the sandbox's own timestamps
(supervisor start -> every app healthy for the checkers and every location routed to its
nearest region), then `polyregion down`. The last run's sandbox also serves the overhead
measurement (`--requests` GETs of the first `[drill] read_paths` entry, `--concurrency` at
once, direct and through the edge alternately for `--rounds` rounds) before it is stopped.
Prints each run, the median and max, and the load average before and after (wall-clock figures
on the shared 2-core machine depend on it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox import cli, load_test  # bench/sandbox.py: the same CLI runner and load client

from polyregion.sandbox.client import SandboxClient
from polyregion.topology import load
from tests.sandbox.conftest import free_sandbox_settings, sandbox_table

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def overhead(config: Path, status: dict[str, Any], args: argparse.Namespace) -> None:
    """Edge -> origin against the origin directly, for the first read path, same sandbox."""
    topo = load(config)
    path = topo.drill.read_paths[0]
    loc = status["locations"][0]
    region = next(r for r in status["regions"] if r["name"] == loc["region"])
    secret = boto3.client(
        "secretsmanager",
        region_name=region["name"],
        endpoint_url=region["aws_endpoint"],
        aws_access_key_id="x",
        aws_secret_access_key="x",  # noqa: S106 (the sandbox's endpoints take any dummy value)
    ).get_secret_value(SecretId=f"{topo.name}/origin-verify")["SecretString"]
    direct_headers = {topo.origin.verify_header: secret, "host": f"origin.{topo.domain}"}
    rows: dict[str, list[dict[str, float]]] = {"direct": [], "edge": []}
    for _ in range(args.rounds):
        rows["direct"].append(
            asyncio.run(
                load_test(
                    region["origin_url"] + path, args.requests, args.concurrency, direct_headers
                )
            )
        )
        rows["edge"].append(
            asyncio.run(
                load_test(loc["entry_url"].rstrip("/") + path, args.requests, args.concurrency)
            )
        )
    for name, runs in rows.items():
        cells = ", ".join(
            f"{r['rps']:.0f} req/s mean {r['mean_ms']:.1f} p50 {r['p50_ms']:.1f} "
            f"p99 {r['p99_ms']:.1f} ms errors {r['errors']:.0f}"
            for r in runs
        )
        print(f"{path} {name} ({region['name']}, {loc['name']}): {cells}")
    for i, (d, e) in enumerate(zip(rows["direct"], rows["edge"], strict=True)):
        print(
            f"round {i + 1}: edge/direct mean latency {e['mean_ms'] / d['mean_ms']:.2f}x, "
            f"p50 {e['p50_ms'] / d['p50_ms']:.2f}x, throughput {e['rps'] / d['rps']:.2f}x; "
            f"overhead {e['mean_ms'] - d['mean_ms']:.2f} ms per request (mean)"
        )


def one_run(
    example: str, env: dict[str, str], args: argparse.Namespace | None = None
) -> tuple[float, float, list[str]]:
    """(healthy_at - started_at as the sandbox records it, wall seconds of `up` incl. CLI,
    the steps `up` reported with their times); with `args`, the overhead measurement too."""
    source = EXAMPLES / example / "polyregion.toml"
    config = source.with_name(f".polyregion-bench-{uuid.uuid4().hex[:8]}.toml")
    config.write_text(source.read_text() + "\n" + sandbox_table(free_sandbox_settings()))
    try:
        started = time.monotonic()
        result = cli(config, env, "up", "--fast", "--detach")
        wall = time.monotonic() - started
        try:
            assert result.returncode == 0, result.stderr[-3000:]
            with SandboxClient.for_topology(load(config)) as c:
                s = c.status()
            assert s["healthy"] and s["healthy_at"] is not None, s["phase"]
            if args is not None:
                overhead(config, dict(s), args)
            steps = [x.strip() for x in result.stderr.splitlines() if x.strip().startswith("✓")]
            return s["healthy_at"] - s["started_at"], wall, steps
        finally:
            cli(config, env, "down")
    finally:
        config.unlink(missing_ok=True)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--example", default="fastapi-notes", help="a directory of examples/")
    p.add_argument("--runs", type=int, default=5, help="up/down cycles to time")
    p.add_argument("--requests", type=int, default=1000, help="GETs per overhead row")
    p.add_argument("--concurrency", type=int, default=8, help="GETs in flight")
    p.add_argument("--rounds", type=int, default=2, help="direct/edge pairs (0: skip)")
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="polyregion-bench-up-"))
    env = {**os.environ, "POLYREGION_RUN_DIR": str(tmp / "run")}
    env.pop("POLYREGION_CONFIG", None)
    load_before = os.getloadavg()
    healthy: list[float] = []
    walls: list[float] = []
    for i in range(args.runs):
        last = i == args.runs - 1 and args.rounds > 0
        h, w, steps = one_run(args.example, env, args if last else None)
        healthy.append(h)
        walls.append(w)
        print(f"up #{i + 1}: healthy {h:.2f} s after start ({w:.2f} s wall, CLI incl.)")
        print("    " + "; ".join(steps))
    load_after = os.getloadavg()
    print(
        f"{args.example}: up to healthy median {statistics.median(healthy):.2f} s, "
        f"max {max(healthy):.2f} s; wall median {statistics.median(walls):.2f} s, "
        f"max {max(walls):.2f} s ({args.runs} runs)"
    )
    print(f"load average (1/5/15 min): before {load_before}, after {load_after}")


if __name__ == "__main__":
    main()
