"""Idle memory of every sandbox process: does anything grow while nobody uses the sandbox?

Starts a sandbox (`polyregion up --fast --detach`, free ports, a private run dir), puts
`--objects` objects in each region's bucket (they replicate), waits for it to settle, then
samples the resident memory (RSS, /proc/PID/status VmRSS) of the supervisor and of every
child it runs (AWS endpoints, Route 53's moto, apps, edges, replicator) every `--every`
seconds for `--minutes`, and reports each one's growth as a least-squares slope, extrapolated
to MB per hour. The goal (issue 15): < 20 MB/hour for every process.

The extrapolation is only that: a 10-minute slope says nothing about a leak that starts later.
Run by hand: `.venv/bin/python bench/idle_memory.py [--minutes 10] [--every 15] [--objects 30]`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from polyregion.sandbox.client import SandboxClient
from polyregion.topology import load
from tests.sandbox.conftest import write_topology

GOAL_MB_PER_HOUR = 20.0
SANDBOX_CREDENTIALS = {"aws_access_key_id": "sandbox", "aws_secret_access_key": "sandbox"}


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def slope_per_hour(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB), in MB per hour."""
    n = len(samples)
    mt = sum(t for t, _ in samples) / n
    mm = sum(m for _, m in samples) / n
    var = sum((t - mt) ** 2 for t, _ in samples)
    cov = sum((t - mt) * (m - mm) for t, m in samples)
    return cov / var * 3600 if var else 0.0


def put_objects(status: Any, n: int) -> None:
    import boto3

    for r in status["regions"]:
        s3 = boto3.client(
            "s3", endpoint_url=r["aws_endpoint"], region_name=r["name"],
            **SANDBOX_CREDENTIALS,
        )  # fmt: skip
        for i in range(n):
            s3.put_object(Bucket=r["bucket"], Key=f"covers/{i}.png", Body=b"x" * 2048)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--every", type=float, default=15.0, help="seconds between samples")
    ap.add_argument("--settle", type=float, default=60.0, help="seconds before the first sample")
    ap.add_argument(
        "--objects",
        type=int,
        default=30,
        help="objects put in each region's bucket first (replicated: 2x that many versions "
        "per bucket), as a site with some uploads has; an empty bucket hides a per-listing leak",
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = write_topology(Path(tmp) / "polyregion.toml")
        env = {**os.environ, "POLYREGION_RUN_DIR": str(Path(tmp) / "run")}
        env.pop("POLYREGION_CONFIG", None)

        def cli(*a: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "polyregion.cli", *a, "--config", str(config)],
                env=env, capture_output=True, text=True, timeout=180, check=False,
            )  # fmt: skip

        started = cli("up", "--fast", "--detach")
        if started.returncode != 0:
            raise SystemExit(started.stderr + started.stdout)
        try:
            client = SandboxClient.for_topology(load(config))
            run_dir = next((Path(tmp) / "run").glob("sandbox-*"))
            put_objects(client.status(), args.objects)
            time.sleep(args.settle)
            # The children as recorded for `down` (children.json: name -> process group leader).
            pids = {"supervisor": int((run_dir / "supervisor.pid").read_text())}
            pids.update(json.loads((run_dir / "children.json").read_text()))
            series: dict[str, list[tuple[float, float]]] = {name: [] for name in pids}
            t0 = time.monotonic()
            while time.monotonic() - t0 < args.minutes * 60:
                now = time.monotonic() - t0
                for name, pid in pids.items():
                    if (mb := rss_mb(pid)) is not None:
                        series[name].append((now, mb))
                time.sleep(args.every)
            final = client.status()
            restarts = {c["name"]: c["restarts"] for c in final.get("children", [])}
            client.close()
        finally:
            cli("down")
    print(
        f"{args.objects} objects per bucket; "
        f"idle for {args.minutes:g} min after {args.settle:g} s settling, sampled every "
        f"{args.every:g} s; growth extrapolated to an hour (goal < {GOAL_MB_PER_HOUR:g} MB/h)"
    )
    print(f"{'process':<22}{'first MB':>10}{'last MB':>10}{'MB/hour':>10}  verdict")
    worst = 0.0
    for name, samples in series.items():
        if len(samples) < 3:
            print(f"{name:<22}  too few samples (did it exit?)")
            continue
        rate = slope_per_hour(samples)
        worst = max(worst, rate)
        verdict = "flat" if rate < GOAL_MB_PER_HOUR else "GROWS"
        extra = f" (restarted {restarts[name]}x)" if restarts.get(name) else ""
        first, last = samples[0][1], samples[-1][1]
        print(f"{name:<22}{first:>10.1f}{last:>10.1f}{rate:>10.1f}  {verdict}{extra}")
    print(f"worst: {worst:.1f} MB/hour")


if __name__ == "__main__":
    main()
