"""Sandbox benchmarks: `up` to healthy, failover after `fault kill` vs its bound, and
requests/s + p99 through an edge for a cached asset and a dynamic page.

Run by hand: `.venv/bin/python bench/sandbox.py [--runs 3] [--kills 5]`. Starts its own
sandboxes (fast profile, free ports, a private run dir) and always stops them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from polyregion.sandbox.client import SandboxClient
from polyregion.topology import load
from tests.sandbox.conftest import write_topology


def cli(config: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "polyregion.cli", *args, "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used: a cost that machine load does not inflate."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def served_by(url: str) -> str | None:
    try:
        r = httpx.get(url + "api/health/live", timeout=1.0)
    except httpx.HTTPError:
        return None
    return r.headers.get("x-polyregion-region") if r.status_code < 500 else None


def wait(predicate: Any, timeout_s: float) -> float:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout_s:
            raise TimeoutError
        time.sleep(0.02)
    return time.monotonic() - started


async def load_test(
    url: str, n: int, concurrency: int, headers: dict[str, str] | None = None
) -> dict[str, float]:
    """`n` GETs of `url` over `concurrency` keep-alive connections: req/s, latency, errors."""
    latencies: list[float] = []
    errors = 0
    todo = iter(range(n))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=10.0, trust_env=False) as client:

        async def worker() -> None:
            nonlocal errors
            for _ in todo:
                t = time.perf_counter()
                r = await client.get(url, headers=headers)
                latencies.append(time.perf_counter() - t)
                errors += r.status_code >= 400

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": n / elapsed,
        "mean_ms": statistics.fmean(latencies) * 1000,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
        "errors": errors,
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=3, help="up/down cycles to time")
    p.add_argument("--kills", type=int, default=5, help="kill/revive cycles to time")
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="polyregion-bench-"))
    env = {**os.environ, "POLYREGION_RUN_DIR": str(tmp / "run")}
    env.pop("POLYREGION_CONFIG", None)

    ups: list[float] = []
    for i in range(args.runs):
        config = write_topology(tmp / f"up{i}.toml")
        started = time.monotonic()
        result = cli(config, env, "up", "--fast", "--detach")
        wall = time.monotonic() - started
        try:
            assert result.returncode == 0, result.stderr
            with SandboxClient.for_topology(load(config)) as c:
                s = c.status()
            ups.append(s["healthy_at"] - s["started_at"])
            print(
                f"up #{i + 1}: healthy {ups[-1]:.2f} s after start ({wall:.2f} s wall, CLI incl.)"
            )
        finally:
            cli(config, env, "down")

    config = write_topology(tmp / "bench.toml")
    assert cli(config, env, "up", "--fast", "--detach").returncode == 0
    try:
        with SandboxClient.for_topology(load(config)) as c:
            s = c.status()
            bound = s["profile"]["kill_bound_s"]
            paris = next(x for x in s["locations"] if x["name"] == "paris")["entry_url"]
            failovers: list[float] = []
            for i in range(args.kills):
                c.kill("eu-west-1")
                t = wait(lambda: served_by(paris) == "us-east-1", 30)
                failovers.append(t)
                c.revive("eu-west-1")
                back = wait(lambda: served_by(paris) == "eu-west-1", 30)
                print(f"kill #{i + 1}: paris on us-east-1 after {t:.2f} s; back {back:.2f} s")
                time.sleep(1.0)
            page = httpx.get(paris).text
            css = re.search(r'href="(/static/[^"]+\.css)"', page)
            assert css
            run_dir = tmp / "run" / f"sandbox-{s['control_url'].rsplit(':', 1)[1]}"
            children = json.loads((run_dir / "children.json").read_text())
            edge, app = children["edge:paris"], children["app:eu-west-1"]
            before = cpu_s(edge), cpu_s(app)
            cached = asyncio.run(load_test(paris.rstrip("/") + css.group(1), 3000, 16))
            middle = cpu_s(edge), cpu_s(app)
            dynamic = asyncio.run(load_test(paris, 600, 16))
            after = cpu_s(edge), cpu_s(app)
            cached["edge_cpu_ms"] = (middle[0] - before[0]) / 3000 * 1000
            cached["origin_cpu_ms"] = (middle[1] - before[1]) / 3000 * 1000
            dynamic["edge_cpu_ms"] = (after[0] - middle[0]) / 600 * 1000
            dynamic["origin_cpu_ms"] = (after[1] - middle[1]) / 600 * 1000
    finally:
        cli(config, env, "down")

    print()
    if ups:
        print(
            f"up to healthy (fast profile, {args.runs} runs): "
            f"median {statistics.median(ups):.2f} s, max {max(ups):.2f} s"
        )
    print(
        f"failover after kill ({args.kills} runs): median {statistics.median(failovers):.2f} s, "
        f"max {max(failovers):.2f} s; bound {bound:.1f} s -> max/bound {max(failovers) / bound:.2f}"
    )
    for name, r in (("cached asset", cached), ("dynamic page", dynamic)):
        print(
            f"{name} through the paris edge: {r['rps']:.0f} req/s, p50 {r['p50_ms']:.1f} ms, "
            f"p99 {r['p99_ms']:.1f} ms, errors {r['errors']:.0f} (16 concurrent clients); CPU per "
            f"request: edge {r['edge_cpu_ms']:.2f} ms, origin {r['origin_cpu_ms']:.2f} ms"
        )


if __name__ == "__main__":
    main()
