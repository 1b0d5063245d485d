"""Reach the running sandbox's control API (the sandbox area's SandboxClient)."""

from __future__ import annotations

from typing import Any

from polyregion.errors import SandboxError
from polyregion.topology.model import Topology


def control_for(topology: Topology) -> Any:
    """A SandboxClient for the topology's control port; a clear error when nothing runs there."""
    from polyregion.sandbox.client import SandboxClient

    client = SandboxClient(topology.sandbox.control_port)
    try:
        client.status()
    except Exception:
        raise SandboxError(
            f"no sandbox answers on 127.0.0.1:{topology.sandbox.control_port}: start one with "
            "`polyregion up --detach` (add --fast for quick drills)"
        ) from None
    return client
