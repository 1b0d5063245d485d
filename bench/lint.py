"""Benchmarks of `polyregion lint` and of its cdk-nag pack, measured on this machine.

    .venv/bin/python bench/lint.py [--runs 5]

Rows:
- lint of 21 templates: the project's own app synthesized for 9 regions (data, secrets, edge
  and, per region, assets + regional = 21 stacks), all linted at once from its cdk.out:
  in-process (`lint_paths`, median of --runs) and as a user runs it (a fresh `polyregion lint
  cdk.out --json` process, Python start-up and imports included);
- the pack's added synth time: the default 2-region app synthesized in-process with
  AwsSolutions + MultiRegionChecks; the time spent inside MultiRegionChecks.validate (the only
  thing the pack adds: reading the templates, running its rules, walking the construct tree
  with one callback per resource) is timed directly, and the whole synth with and without the
  pack is printed for context (whole-synth differences are within this machine's noise).

Everything runs in a temporary directory, offline, with no AWS access.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")

REGIONS = (
    "us-east-1",
    "eu-west-1",
    "ap-southeast-1",
    "us-west-2",
    "eu-central-1",
    "ap-northeast-1",
    "sa-east-1",
    "ap-southeast-2",
    "us-west-1",
)
TOPOLOGY = '[app]\nname = "shop"\ndomain = "example.org"\n\n[aws]\nhosted_zone_id = "Z0EXAMPLE"\n'


def topology_file(work: Path, regions: tuple[str, ...]) -> Path:
    text = TOPOLOGY + "".join(
        f'\n[[regions]]\nname = "{r}"\n' + ('role = "primary"\n' if i == 0 else "")
        for i, r in enumerate(regions)
    )
    path = work / f"{len(regions)}.toml"
    path.write_text(text)
    return path


def bench_cli(work: Path, runs: int) -> None:
    from polyregion.infra.synth import synthesize
    from polyregion.lint import lint_paths
    from polyregion.topology import load

    topology = load(topology_file(work, REGIONS))
    out = synthesize(topology, out=work / "cdk.out", work=work / "build").out
    templates = len(list(out.glob("*.template.json")))
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = lint_paths([out])
        times.append(time.perf_counter() - started)
    print(
        f"lint {templates} templates ({result.summary()['resources']} resources, "
        f"{result.errors} errors) in-process: median {statistics.median(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms ({runs} runs)"
    )
    wall = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "polyregion.cli", "lint", str(out), "--json"],
            capture_output=True,
            check=False,
        )
        wall.append(time.perf_counter() - started)
        assert done.returncode == 0, done.stderr[-2000:]
    print(
        f"`polyregion lint cdk.out --json` ({templates} templates), fresh process: "
        f"median {statistics.median(wall):.2f} s, max {max(wall):.2f} s ({runs} runs)"
    )


def bench_pack(work: Path, runs: int) -> None:
    import aws_cdk as cdk

    from polyregion.infra import package
    from polyregion.infra.app import build_app
    from polyregion.infra.static_site import blog_site
    from polyregion.infra.synth import resolve_asset
    from polyregion.lint.pack import MultiRegionChecks
    from polyregion.topology import load

    class Timed(MultiRegionChecks):
        seconds: list[float] = []  # one list for the whole run

        def validate(self, context: Any) -> Any:
            started = time.perf_counter()
            try:
                return super().validate(context)
            finally:
                Timed.seconds.append(time.perf_counter() - started)

    topology = load(topology_file(work, REGIONS[:2]))
    asset, _ = resolve_asset(None, topology, work / "build")
    static = blog_site(package.stage_static(work / "build" / "static"))
    synth: dict[bool, list[float]] = {False: [], True: []}
    for run in range(runs):
        for with_pack in (False, True):
            app, _ = build_app(
                topology, asset_dir=asset, static=static, outdir=work / f"out-{run}-{with_pack}"
            )
            if with_pack:
                cdk.Validations.of(app).add_plugins(Timed(app))
            started = time.perf_counter()
            app.synth()
            synth[with_pack].append(time.perf_counter() - started)
    print(
        f"pack (MultiRegionChecks.validate) on the 2-region app: median "
        f"{statistics.median(Timed.seconds) * 1000:.0f} ms, max {max(Timed.seconds) * 1000:.0f} ms "
        f"({runs} synths)"
    )
    print(
        f"whole in-process synth, AwsSolutions only: median "
        f"{statistics.median(synth[False]):.1f} s; AwsSolutions + MultiRegion: median "
        f"{statistics.median(synth[True]):.1f} s ({runs} each)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory() as tmp:
        bench_cli(Path(tmp), args.runs)
        bench_pack(Path(tmp), args.runs)


if __name__ == "__main__":
    main()
