"""`polyregion verify` passes on the bundled blog (examples/blog), run by the sandbox from its
own polyregion.toml (ports and loopback block moved to free ones)."""

from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path

import pytest

from tests.sandbox.conftest import write_topology

pytestmark = pytest.mark.functional

BLOG = Path(__file__).resolve().parents[2] / "examples" / "blog"


def blog_topology(tmp: Path) -> Path:
    """The blog's own file, with free sandbox ports and a command that finds its package from
    anywhere (the copy lives in `tmp`, and a command runs from its topology file's dir)."""
    ports = write_topology(tmp / "ports.toml").read_text().split("[sandbox]", 1)[1]
    text = (BLOG / "polyregion.toml").read_text()
    run = (
        f"import runpy, sys; sys.path.insert(0, {str(BLOG)!r}); "
        "runpy.run_module('blog', run_name='__main__')"
    )
    command = json.dumps([sys.executable, "-c", run])
    text = re.sub(r"(?m)^command = .*$", f"command = {command}", text, count=1)
    path = tmp / "polyregion.toml"
    path.write_text(text + "\n[sandbox]" + ports)
    return path


def test_verify_passes_on_the_blog(tmp_path: Path) -> None:
    import os
    import subprocess

    config = blog_topology(tmp_path)
    env = {**os.environ, "POLYREGION_RUN_DIR": str(tmp_path / "run")}
    env.pop("POLYREGION_CONFIG", None)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "polyregion.cli", *args, "--config", str(config)],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )

    up = cli("up", "--fast", "--detach")
    try:
        assert up.returncode == 0, up.stderr + up.stdout
        out = cli("verify", "--json")
        doc = json.loads(out.stdout)
        results = {r["rule"]: r["result"] for r in doc["rules"]}
        assert out.returncode == 0, (doc, out.stderr[-2000:])
        for rule in ("health", "health-degraded-down", "health-degraded-slow", "recovery"):
            assert results[rule] == "pass", doc
        assert results["origin-verify"] == "pass", doc
        # with the blog's [drill.write], its writes are checked too; without, they are skipped
        declared = tomllib.loads(config.read_text()).get("drill", {}).get("write")
        writes = "pass" if declared else "skip"
        assert results["replication"] == results["cross-region-read"] == writes, doc
    finally:
        cli("down")
