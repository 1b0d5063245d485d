"""Topology files for the test apps: free ports and an own loopback block (the sandbox tests'
`write_topology`), plus the app contract's sections."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from polyregion.sandbox.client import SandboxClient
from polyregion.topology.load import load
from tests.sandbox.conftest import RunningSandbox, write_topology

NOTES_APP = Path(__file__).with_name("notes_app.py")

CONTRACT = """
[health]
path = "/api/health"

[[tables]]
name = "notes"
scope = "global"
partition_key = "id"

[[buckets]]
name = "uploads"
scope = "global"

[drill]
read_paths = ["/api/health", "/"]
"""

DRILL_WRITE = """
[drill.write]
method = "POST"
path = "/api/notes"
body = '{"id": "{id}", "text": "drill"}'
content_type = "application/json"
read_back = "/api/notes/{id}"
"""


def notes_topology(
    path: Path, *flags: str, name: str = "notes", write: bool = True, **sandbox: Any
) -> Path:
    """The notes app (flags break it on purpose: notes_app.py) with or without [drill.write]."""
    write_topology(path, **sandbox)
    # "python" as a user writes it: found on the PATH the app gets (the venv's first)
    command = json.dumps(["python", str(NOTES_APP), *flags])
    text = path.read_text().replace(
        'name = "sbxtest"\n', f'name = "{name}"\ncommand = {command}\n', 1
    )
    path.write_text(text + CONTRACT + (DRILL_WRITE if write else ""))
    return path


@contextmanager
def notes_sandbox(
    tmp: Path, *flags: str, write: bool = True, **sandbox: Any
) -> Iterator[RunningSandbox]:
    """`polyregion up --fast --detach` running the notes app; always `down`."""
    config = notes_topology(tmp / "polyregion.toml", *flags, write=write, **sandbox)
    env = {**os.environ, "POLYREGION_RUN_DIR": str(tmp / "run")}
    env.pop("POLYREGION_CONFIG", None)
    client = SandboxClient.for_topology(load(config))
    running = RunningSandbox(config, tmp / "run", env, client, {})
    try:
        started = running.cli("up", "--fast", "--detach", timeout=120)
        assert started.returncode == 0, started.stderr + started.stdout
        running.status = client.status()
        yield running
    finally:
        running.cli("down")
        client.close()
