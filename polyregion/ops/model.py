"""The data a drill produces: plan actions, traffic samples, observations and events.

Plain frozen values, so the engine, the measurements and the report agree on one shape and
tests can build them by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Op = Literal["read", "write"]


@dataclass(frozen=True, slots=True)
class Action:
    """One call that changes the world, as data: the plan prints it, the target executes it.

    `command` is the equivalent shell command (AWS CLI or `polyregion fault ...`), so a dry run
    shows exactly what would happen and an operator can replay it by hand.
    """

    name: str  # e.g. "fault.kill", "route53.update_health_check"
    args: Mapping[str, Any]
    command: str
    description: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "args": dict(self.args),
            "command": self.command,
            "description": self.description,
        }


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """What a scenario does on one target: inject, then roll back (always)."""

    inject: tuple[Action, ...]
    rollback: tuple[Action, ...]


@dataclass(frozen=True, slots=True)
class Sample:
    """One synthetic request from one location, acknowledged or not."""

    t: float  # epoch seconds when sent
    location: str
    op: Op
    ok: bool
    latency_s: float
    status: int | None = None  # HTTP status, None on a connection error
    region: str | None = None  # region that answered, when the response says so
    seq: int | None = None  # writes: sequence number per location
    key: str | None = None  # writes: the slug that must survive
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    """What the control plane looked like at one moment: health and each location's answer."""

    t: float
    health: Mapping[str, bool]  # region -> healthy
    resolved: Mapping[str, str | None]  # location -> region its DNS answer points to


@dataclass(frozen=True, slots=True)
class Event:
    time: float
    kind: str  # steady-state, fault, health-flip, dns-change, recovered, rollback, failback...
    detail: str = ""
    region: str | None = None
    location: str | None = None
    source: str = "drill"  # "drill" or "sandbox"

    def as_dict(self) -> dict[str, Any]:
        return {
            "time": round(self.time, 3),
            "kind": self.kind,
            "detail": self.detail,
            "region": self.region,
            "location": self.location,
            "source": self.source,
        }


@dataclass(slots=True)
class ActionRun:
    """How an action went: Chaos Toolkit journals keep one of these per activity."""

    action: Action
    start: float
    end: float
    status: Literal["succeeded", "failed", "skipped"]
    output: Any = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "activity": {
                "type": "action",
                "name": self.action.name,
                "provider": {"type": "python", "arguments": dict(self.action.args)},
                "command": self.action.command,
            },
            "status": self.status,
            "output": self.output,
            "exception": [self.error] if self.error else None,
            "start": self.start,
            "end": self.end,
            "duration": round(self.end - self.start, 3),
        }


@dataclass(slots=True)
class Recording:
    """Everything measured during one drill, appended by the engine as it runs."""

    samples: list[Sample] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    fault_runs: list[ActionRun] = field(default_factory=list)
    rollback_runs: list[ActionRun] = field(default_factory=list)
