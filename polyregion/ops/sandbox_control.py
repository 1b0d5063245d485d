"""Reach the running sandbox's control API (the sandbox area's SandboxClient), or start one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from polyregion.errors import SandboxError
from polyregion.sandbox.client import SandboxClient
from polyregion.topology.model import Topology


def control_for(
    topology: Topology, *, start: bool = False, config: Path | None = None
) -> SandboxClient:
    """A SandboxClient for the topology's control port. With `start`, a sandbox that is not
    running is started in the background (`polyregion up --detach --fast`) and left running."""
    client = SandboxClient.for_topology(topology)
    if client.is_running():
        return client
    if not start:
        client.close()
        raise SandboxError(
            f"no sandbox answers on 127.0.0.1:{topology.sandbox.control_port}: start one with "
            "`polyregion up --detach` (add --fast for quick drills)"
        )
    print(
        "no sandbox running: starting one (fast profile) with `polyregion up --detach --fast`",
        file=sys.stderr,
    )
    argv = [sys.executable, "-m", "polyregion.cli", "up", "--detach", "--fast"]
    if config is not None:
        argv += ["--config", str(config)]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=180, check=False)
    if out.returncode != 0 or not client.is_running():
        client.close()
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or ["no output"]
        raise SandboxError(f"could not start the sandbox: {tail[0]}")
    print(
        "sandbox started; it keeps running after the drill (`polyregion down` stops it)",
        file=sys.stderr,
    )
    return client
