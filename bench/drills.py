"""Drill benchmarks: measured RTO per scenario against its theoretical bound, and measured
replication lag against the injected delay.

Run by hand (starts its own sandboxes on free ports with a private run dir, always stops them):

    .venv/bin/python bench/drills.py [--runs 3] [--aws-profile] [--write-docs]

`--aws-profile` also runs region-outage once with AWS-faithful timings (interval 10 s,
threshold 3, TTL 60 s: a failover bound of 10 s x 3 + 6 s + 60 s = 96 s; several minutes).
`--write-docs` replaces the "## Drills" section of docs/benchmarks.md with the tables printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from polyregion.ops import lag as lagmod  # noqa: E402
from polyregion.ops.engine import Drill, plan_drill  # noqa: E402
from polyregion.ops.report import to_json  # noqa: E402
from polyregion.ops.result import DrillResult  # noqa: E402
from polyregion.ops.sandbox_target import SandboxTarget  # noqa: E402
from polyregion.ops.scenarios import SCENARIOS, bind  # noqa: E402
from polyregion.ops.slo import Gates  # noqa: E402
from polyregion.sandbox.client import SandboxClient  # noqa: E402
from polyregion.topology.failover import FORMULA  # noqa: E402
from polyregion.topology.load import load  # noqa: E402
from tests.ops.apps.topology import CONTRACT, DRILL_WRITE, NOTES_APP  # noqa: E402
from tests.support.moto import FAKE_CREDENTIALS, free_port  # noqa: E402

REPORTS = Path(tempfile.gettempdir()) / "bench-drills-reports"
SCENARIO_ORDER = ("region-outage", "health-inversion", "dependency-failure", "partition")


def cli(config: Path, env: dict[str, str], *args: str, timeout: float = 180) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "polyregion.cli", *args, "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"polyregion {' '.join(args)} failed: {out.stderr[-1500:]}")
    return out.stdout


@contextmanager
def sandbox(extra: str, *, fast: bool, delay_ms: float) -> Iterator[tuple[Path, dict[str, str]]]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-drills-"))
    config = tmp / "polyregion.toml"
    env = {**os.environ, **FAKE_CREDENTIALS, "POLYREGION_RUN_DIR": str(tmp / "run")}
    argv = ["up", "--detach"] + (["--fast"] if fast else [])
    for attempt in range(3):  # a random base port may be taken by someone else's sandbox
        # The drills drive an app through its [drill] and [drill.write] (the tests' notes
        # app, written only against the contract), so every scenario counts lost writes.
        command = json.dumps(["python", str(NOTES_APP)])
        config.write_text(
            f'[app]\nname = "benchdrills"\ncommand = {command}\n'
            f"[sandbox]\ncontrol_port = {free_port()}\n"
            f"dns_port = {free_port()}\nbase_port = {random.randrange(30000, 40000, 10)}\n"
            f"replication_delay_ms = {delay_ms}\nreplication_jitter_ms = 0.0\n"
            + CONTRACT.replace("[health]\n", "[health]\n" + extra, 1)
            + DRILL_WRITE
        )
        try:
            cli(config, env, *argv)
            break
        except SystemExit:
            if attempt == 2:
                raise
    try:
        yield config, env
    finally:
        cli(config, env, "down")


def wait_home(client: SandboxClient, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        s = client.status()
        if all((r.get("health") or {}).get("healthy") for r in s["regions"]) and all(
            loc["region"] == loc["nearest"][0] for loc in s["locations"]
        ):
            return
        time.sleep(0.5)
    raise SystemExit("sandbox did not return to steady state")


def drill(config: Path, scenario: str) -> DrillResult:
    topo = load(config)
    with SandboxClient.for_topology(topo) as client:
        wait_home(client, 300)
        target = SandboxTarget(topo, client)
        try:
            sc = SCENARIOS[scenario]
            plan = plan_drill(target, sc, bind(sc, topo), Gates(max_lost_writes=0))
            result = Drill(target, plan).run()
        finally:
            target.close()
    REPORTS.mkdir(parents=True, exist_ok=True)
    name = f"{scenario}-{time.strftime('%H%M%S')}.json"
    (REPORTS / name).write_text(json.dumps(to_json(result), indent=2))
    if result.status != "completed" or result.rto_s is None:
        errors = {loc.name: dict(loc.errors) for loc in result.locations}
        print(
            f"  {scenario}: {result.status} ({result.error}); errors {errors}; see {REPORTS / name}"
        )
    return result


def fmt(values: list[float]) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.median(values):.2f} (min {min(values):.2f}, max {max(values):.2f})"


def scenario_rows(config: Path, runs: int, profile: str, scenarios: tuple[str, ...]) -> list[str]:
    rows = []
    for name in scenarios:
        results = [drill(config, name) for _ in range(runs)]
        for r in results:
            print(
                f"  {profile} {name}: status {r.status}, RTO {r.rto_s}, lost {r.writes_lost}",
                flush=True,
            )
        rtos = [r.rto_s for r in results if r.rto_s is not None]
        bound = results[0].plan.bound_s
        flips = [
            r.health_flip_at - r.marks.fault
            for r in results
            if r.health_flip_at is not None and r.marks.fault is not None
        ]
        failback = [r.failback_s for r in results if r.failback_s is not None]
        ratio = f"{statistics.median(rtos) / bound:.2f}" if rtos else "-"
        rows.append(
            f"| {name} | {profile} | {bound:g} | {fmt(rtos)} | {ratio} | {fmt(flips)} "
            f"| {fmt(failback)} | {sum(r.writes_acked for r in results)} "
            f"| {sum(r.writes_lost or 0 for r in results)} | {len(rtos)}/{len(results)} |"
        )
    return rows


def lag_rows(config: Path, delay_ms: float, samples: int) -> list[str]:
    topo = load(config)
    with SandboxClient.for_topology(topo) as client:
        probe = lagmod.sandbox_probe(topo, client)
        result: dict[str, Any] = lagmod.measure_lag(probe, samples=samples, kinds=("items",))
    return [
        f"| {delay_ms:g} | {r['from']} -> {r['to']} | {r['n']} | {r['not_seen']} "
        f"| {r['p50_ms']} | {r['p90_ms']} | {r['p99_ms']} | {r['max_ms']} |"
        for r in result["pairs"]
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lag-samples", type=int, default=30)
    parser.add_argument("--aws-profile", action="store_true")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--lag-only", action="store_true", help="skip the drills")
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C, so the sandboxes started here are always stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    drill_rows: list[str] = []
    lag_table: list[str] = []
    for delay in (100.0, 300.0):
        with sandbox("", fast=True, delay_ms=delay) as (config, _env):
            if delay == 100.0 and not args.lag_only:
                drill_rows += scenario_rows(config, args.runs, "fast", SCENARIO_ORDER)
            lag_table += lag_rows(config, delay, args.lag_samples)
    if args.aws_profile:
        extra = "interval_s = 10\nfailure_threshold = 3\n"  # + [dns] origin_ttl_s 60 (default)
        with sandbox(extra, fast=False, delay_ms=100.0) as (config, _env):
            drill_rows += scenario_rows(config, 1, "aws-faithful", ("region-outage",))

    load_avg = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    section = "\n".join(
        [
            "## Drills",
            "",
            f"Measured {started} with `.venv/bin/python bench/drills.py --runs {args.runs}"
            + (" --aws-profile" if args.aws_profile else "")
            + "` "
            f"({os.cpu_count()} CPUs, load average {load_avg} at the end, "
            f"Python {platform.python_version()}; a busier machine gives longer times).",
            "",
            "RTO per scenario (seconds, median of the runs) against the failover bound, "
            f"{FORMULA} (polyregion/topology/failover.py). The app is "
            "tests/ops/apps/notes_app.py, driven through its [drill] and [drill.write]. The "
            "recovery rule is the one in docs/drills.md (success rate back to >= 99% over a "
            "sliding window).",
            "",
            "| scenario | profile | bound (s) | RTO (s) | RTO / bound | health flip (s) "
            "| failback (s) | writes acked | writes lost | recovered |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
            *drill_rows,
            "",
            "Replication lag of global-table items (`polyregion lag --kinds items`): "
            "injected delay vs measured (ms; a marker per region every 100 ms, polled every "
            "20 ms).",
            "",
            "| injected (ms) | pair | seen | not seen (30 s) | p50 | p90 | p99 | max |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
            *lag_table,
            "",
        ]
    )
    print(section)
    if args.write_docs:
        path = ROOT / "docs" / "benchmarks.md"
        text = path.read_text() if path.exists() else "# Benchmarks\n\n"
        if "## Drills" in text:
            head, _, rest = text.partition("## Drills")
            nxt = rest.find("\n## ")
            text = head + section + (rest[nxt + 1 :] if nxt >= 0 else "")
        else:
            text = text.rstrip("\n") + "\n\n" + section
        path.write_text(text)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
