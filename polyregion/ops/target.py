"""The seam between the drill logic and the world it breaks.

`Target` is what the engine needs: a plan for a fault, a way to execute one action, traffic
from each location, a look at health and DNS, and a look into each region's replica. The
sandbox and AWS implement it; unit tests use an in-memory fake.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from polyregion.ops.model import Action, FaultPlan, Observation, Op, Sample
from polyregion.ops.scenarios import Fault, Timing


class Target(Protocol):
    name: str  # "sandbox" | "aws"

    @property
    def regions(self) -> tuple[str, ...]: ...

    @property
    def locations(self) -> tuple[str, ...]: ...

    @property
    def writes(self) -> bool:
        """Whether the drill sends writes (`[drill.write]`); False: availability only."""
        ...

    def timing(self) -> Timing:
        """Interval, threshold and TTL this target actually runs with."""
        ...

    def plan_fault(self, fault: Fault) -> FaultPlan:
        """The fault as data: inject actions and rollback actions. Makes no change."""
        ...

    def execute(self, action: Action) -> Any:
        """Perform one planned action; raise on failure."""
        ...

    def prepare(self, run_id: str) -> None:
        """Get ready to send traffic (one synthetic user per location)."""
        ...

    def request(self, location: str, op: Op, seq: int, key: str) -> Sample:
        """One read (or a write of `key` with sequence number `seq`) from `location`."""
        ...

    def observe(self) -> Observation:
        """Health per region and the region each location's DNS answer points to, now."""
        ...

    def replicas_holding(
        self, keys: Iterable[str], regions: Iterable[str]
    ) -> Mapping[str, set[str]]:
        """For each region, the subset of `keys` (acknowledged drill writes) it holds; the
        sandbox reads each one back through every location, so a region no location reaches
        at the moment is absent from the answer (unknown, not empty)."""
        ...

    def post_event(self, kind: str, detail: str, region: str | None = None) -> None:
        """Tell the system's dashboard what the drill is doing (best effort)."""
        ...

    def close(self) -> None: ...
