"""Reach the running sandbox's control API (the sandbox area's SandboxClient)."""

from __future__ import annotations

from polyregion.errors import SandboxError
from polyregion.sandbox.client import SandboxClient
from polyregion.topology.model import Topology


def control_for(topology: Topology) -> SandboxClient:
    """A SandboxClient for the topology's control port; a clear error when nothing runs there."""
    client = SandboxClient.for_topology(topology)
    if not client.is_running():
        client.close()
        raise SandboxError(
            f"no sandbox answers on 127.0.0.1:{topology.sandbox.control_port}: start one with "
            "`polyregion up --detach` (add --fast for quick drills)"
        )
    return client
