"""Synthesize once per session and share the assemblies: each synth costs ~20 s of Node.

- `two`: the default topology (us-east-1 primary, eu-west-1), through the real CLI in a
  subprocess (`polyregion synth`), exactly as a user runs it from a fresh clone;
- `three`: three regions, concrete account, failover records, delete-marker replication,
  secret rotation, in-process through `synthesize()` (the function the CLI and the CDK entry share).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from polyregion.topology import Topology, load

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")

ZONE = "Z0123456789EXAMPLE"
ACCOUNT = "111122223333"

TWO = f"""
[app]
name = "shop"
domain = "example.org"

[aws]
hosted_zone_id = "{ZONE}"
"""

THREE = f"""
[app]
name = "shop"
domain = "example.org"

[[regions]]
name = "us-east-1"
role = "primary"

[[regions]]
name = "eu-west-1"

[[regions]]
name = "ap-southeast-1"

[[buckets]]
name = "assets"
replicate_deletes = true

[session]
rotation_days = 30

[health]
interval_s = 10
failure_threshold = 2
checker_regions = ["us-east-1", "eu-west-1", "ap-southeast-1"]

[dns]
failover_records = true

[aws]
hosted_zone_id = "{ZONE}"
account = "{ACCOUNT}"
"""


@dataclass
class Synth:
    topology: Topology
    out: Path
    templates: dict[str, dict[str, Any]]  # stack name -> template
    regions: dict[str, str]  # stack name -> region
    seconds: float
    stdout: str = ""
    full_asset: bool = False  # synthesized from a current build (not the source-only stand-in)

    def template(self, name: str) -> Any:
        from aws_cdk.assertions import Template

        return Template.from_json(self.templates[name])

    def resources(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """(stack name, resource) for every resource of a CloudFormation type, all stacks."""
        return [
            (stack, r)
            for stack, t in self.templates.items()
            for r in t.get("Resources", {}).values()
            if r["Type"] == kind
        ]


def _read(out: Path, topology: Topology, seconds: float, stdout: str = "") -> Synth:
    manifest = json.loads((out / "manifest.json").read_text())
    templates, regions = {}, {}
    for name, artifact in manifest["artifacts"].items():
        if artifact["type"] != "aws:cloudformation:stack":
            continue
        templates[name] = json.loads((out / artifact["properties"]["templateFile"]).read_text())
        regions[name] = artifact["environment"].split("/")[-1]
    return Synth(topology, out, templates, regions, seconds, stdout)


@dataclass
class _Running:
    proc: subprocess.Popen[str]
    work: Path
    config: Path
    started: float


@pytest.fixture(scope="session")
def two_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Running]:
    """`polyregion synth` in a subprocess, started early so `three` synthesizes meanwhile."""
    work = tmp_path_factory.mktemp("two")
    config = work / "polyregion.toml"
    config.write_text(TWO)
    proc = subprocess.Popen(
        [sys.executable, "-m", "polyregion.cli", "synth", "-c", str(config), "--out", "cdk.out"],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        yield _Running(proc, work, config, time.monotonic())
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


@pytest.fixture(scope="session")
def two(two_process: _Running) -> Synth:
    try:
        stdout, stderr = two_process.proc.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        two_process.proc.kill()
        raise
    assert two_process.proc.returncode == 0, stderr[-3000:]
    # The command reports its own duration; the wall clock here overlaps the `three` synth.
    seconds = float(re.findall(r"in ([0-9.]+)\s+s", stdout)[-1])
    return _read(two_process.work / "cdk.out", load(two_process.config), seconds, stdout)


@pytest.fixture(scope="session")
def three(tmp_path_factory: pytest.TempPathFactory, two_process: _Running) -> Iterator[Synth]:
    from polyregion.infra.synth import synthesize

    work = tmp_path_factory.mktemp("three")
    config = work / "polyregion.toml"
    config.write_text(THREE)
    topology = load(config)
    started = time.monotonic()
    result = synthesize(topology, out=work / "cdk.out", work=work / "build")
    yield _read(result.out, topology, time.monotonic() - started)


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_NAMES = ("blog", "fastapi-notes", "nextjs-notes")


def fake_next_build(argv: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Stands in for `npm ci` and `next build` (70 s and the npm registry): what a build leaves
    in the staging copy that packaging reads."""
    if "build" in argv and "next" in argv:
        (cwd / ".next" / "standalone").mkdir(parents=True)
        (cwd / ".next" / "standalone" / "server.js").write_text("// standalone server\n")
        (cwd / ".next" / "static" / "chunks").mkdir(parents=True)
        (cwd / ".next" / "static" / "chunks" / "main-0123abcd.js").write_text("//\n")
    return subprocess.CompletedProcess(list(argv), 0, "", "")


@pytest.fixture(scope="session")
def examples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Synth]:
    """Each example synthesized once from its own topology file (cdk-nag and cfn-lint run as
    part of it). Next.js from a build (npm and next stood in for), so its static files are
    uploaded; the Python examples from their source (a build would need PyPI)."""
    from polyregion.infra import package
    from polyregion.infra.synth import synthesize

    out: dict[str, Synth] = {}
    for name in EXAMPLE_NAMES:
        work = tmp_path_factory.mktemp(name)
        topology = load(EXAMPLES / name / "polyregion.toml")
        if name == "nextjs-notes":
            package.build_asset(topology, work / "build" / "lambda", app_run=fake_next_build)
        started = time.monotonic()
        result = synthesize(topology, out=work / "cdk.out", work=work / "build")
        out[name] = _read(result.out, topology, time.monotonic() - started)
        out[name].full_asset = result.full_asset
    return out
