"""What a component plugged into the sandbox gets, and what it offers back.

A component (the replicator, the dashboard, whatever `up` composes in) is handed a narrow
`ComponentContext`: the topology, the plan, the run directory, the event log and a supervised
`spawn`. It never sees the supervisor. It offers `start`/`stop` and the fields it adds to the
status JSON; one that can cut and heal replication also implements `Partitioner`, which
`fault partition` / `fault heal` use.

The sandbox never imports its components: the `up` command (polyregion/stack.py) composes them
and hands their factories to the supervisor, so lower layers never import higher ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from polyregion.sandbox.children import AfterRestart, EventSink
from polyregion.sandbox.plan import SandboxPlan
from polyregion.sandbox.process import Child
from polyregion.topology.model import Topology


class Spawn(Protocol):
    def __call__(
        self, make: Callable[[], Child], *, after_restart: AfterRestart | None = None
    ) -> Child: ...


@dataclass(frozen=True)
class ComponentContext:
    topology: Topology
    plan: SandboxPlan
    run_dir: Path  # the sandbox's run directory: state a component keeps across restarts
    logs: Path  # where child logs go
    events: EventSink
    spawn: Spawn  # start a child and keep it running (restarted with backoff, recorded for `down`)
    child_env: dict[str, str]  # the environment every sandbox child starts from


class Component(Protocol):
    name: str

    async def start(self, ctx: ComponentContext) -> None: ...

    async def stop(self) -> None: ...

    def status(self) -> dict[str, Any]:
        """Top-level fields this component adds to the status JSON (e.g. `replication`)."""
        ...


@runtime_checkable
class Partitioner(Protocol):
    """Cuts and heals replication between regions (the replicator)."""

    async def partition(self, a: str, b: str) -> None: ...

    async def heal(self) -> None: ...


ComponentFactory = Callable[[], Component]
