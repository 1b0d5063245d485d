"""`polyregion up` to healthy for a bundled example (issue 12: <= 10 s for fastapi-notes).

Run by hand: `.venv/bin/python bench/up_example.py [--example fastapi-notes] [--runs 5]`.
Each run writes the example's own `polyregion.toml` plus a `[sandbox]` table on free ports
next to it (the app's command runs from the topology file's directory), runs
`polyregion up --fast --detach` with a private run dir, reads the sandbox's own timestamps
(supervisor start -> every app healthy for the checkers and every location routed to its
nearest region), then `polyregion down`. Prints each run, the median and max, and the load
average before and after (wall-clock figures on the shared 2-core machine depend on it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from polyregion.sandbox.client import SandboxClient
from polyregion.topology import load
from tests.sandbox.conftest import free_sandbox_settings, sandbox_table

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def cli(config: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "polyregion.cli", *args, "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def one_run(example: str, env: dict[str, str]) -> tuple[float, float, list[str]]:
    """(healthy_at - started_at as the sandbox records it, wall seconds of `up` incl. CLI,
    the steps `up` reported with their times)."""
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
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="polyregion-bench-up-"))
    env = {**os.environ, "POLYREGION_RUN_DIR": str(tmp / "run")}
    env.pop("POLYREGION_CONFIG", None)
    load_before = os.getloadavg()
    healthy: list[float] = []
    walls: list[float] = []
    for i in range(args.runs):
        h, w, steps = one_run(args.example, env)
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
