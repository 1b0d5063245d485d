"""Benchmarks of the infrastructure commands, measured on this machine.

    .venv/bin/python bench/infra.py [--runs 3] [--no-build]
    .venv/bin/python bench/infra.py --examples [--runs 2]

`--examples`: `polyregion synth --config examples/<X>/polyregion.toml` for each of the three
examples instead (fresh process, fresh output directory: cfn-lint lints every template), with
the load average at the start of each run.

Rows:
- `polyregion synth` wall clock (a fresh process, as a user runs it) for the default 2-region
  topology and a 3-region one; templates and cdk-nag checks included;
- `polyregion build`: time to pip-install the runtime dependencies for Lambda ARM64 (needs PyPI),
  and the asset's size unzipped and zipped; then `build` again with nothing changed (the
  fingerprint matches: nothing is rebuilt).

Everything runs in a temporary directory, with no AWS access.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

THREE = """
[[regions]]
name = "us-east-1"
role = "primary"

[[regions]]
name = "eu-west-1"

[[regions]]
name = "ap-southeast-1"
"""


def run(argv: list[str], cwd: Path) -> tuple[float, str]:
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "COLUMNS": "200"}
    started = time.monotonic()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    return elapsed, done.stdout


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def examples(cli: list[str], runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(1, runs + 1):
            for name in ("blog", "fastapi-notes", "nextjs-notes"):
                load = os.getloadavg()[0]
                config = EXAMPLES / name / "polyregion.toml"
                out = Path(tmp) / f"{name}-{i}"
                elapsed, stdout = run(
                    [*cli, "synth", "--config", str(config), "--out", str(out)], EXAMPLES.parent
                )
                reported = re.findall(r"in ([0-9.]+)\s+s", " ".join(stdout.split()))
                print(
                    f"run {i} {name}: {elapsed:.1f} s wall, {reported[-1]} s reported, "
                    f"load {load:.1f}"
                )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-build", action="store_true", help="skip the pip build (offline)")
    parser.add_argument("--examples", action="store_true", help="synth the three examples")
    args = parser.parse_args()
    cli = [sys.executable, "-m", "polyregion.cli"]
    if args.examples:
        examples(cli, args.runs)
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "three.toml").write_text(THREE)
        print(f"load average at start: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
        for label, config in (("2 regions (defaults)", []), ("3 regions", ["-c", "three.toml"])):
            # The first synth of a topology lints every template; later ones with unchanged
            # templates reuse the cfn-lint results (polyregion/infra/lint.py).
            times = [
                run([*cli, "synth", *config, "--out", "cdk.out"], work)[0] for _ in range(args.runs)
            ]
            rest = times[1:] or times
            print(
                f"synth {label}: first {times[0]:.1f} s; then median "
                f"{statistics.median(rest):.1f} s, min {min(rest):.1f} s, max {max(rest):.1f} s "
                f"({len(rest)} runs)"
            )
        if not args.no_build:
            elapsed, out = run([*cli, "build", "--out", "build/lambda"], work)
            size = re.search(r"([0-9.]+) MB unzipped, ([0-9.]+) MB zipped", out)
            assert size, out
            print(f"build: {elapsed:.1f} s; asset {size[1]} MB unzipped, {size[2]} MB zipped")
            again = [run([*cli, "build", "--out", "build/lambda"], work)[0] for _ in range(3)]
            print(
                f"build, nothing changed (fresh process, fingerprint check): median "
                f"{statistics.median(again):.2f} s, max {max(again):.2f} s (3 runs)"
            )


if __name__ == "__main__":
    main()
