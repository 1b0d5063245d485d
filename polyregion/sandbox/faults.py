"""Faults the sandbox can inject, as data: parsed and validated first, then applied.

One shape for the CLI, the control API (`POST /fault`), drills and the dashboard:

    {"action": "kill", "region": R}                  the region's app dies (SIGKILL)
    {"action": "revive", "region": R}                the region's app starts again
    {"action": "dependency", "region": R, "dependency": "dynamodb"|"s3"|"secrets",
     "mode": "down"|"slow"|"up"}                     one AWS service of the region fails
    {"action": "partition", "regions": [A, B]}       replication between A and B stops
    {"action": "heal"}                               everything above undone
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from polyregion.errors import SandboxError

ACTIONS: Final = ("kill", "revive", "dependency", "partition", "heal")
DEPENDENCIES: Final = ("dynamodb", "s3", "secrets")
MODES: Final = ("down", "slow", "up")


class FaultError(SandboxError):
    """A fault request that cannot be applied; the message says what to send instead."""


@dataclass(frozen=True, slots=True)
class Fault:
    action: str
    region: str | None = None
    dependency: str | None = None
    mode: str | None = None
    regions: tuple[str, ...] = ()

    @property
    def command(self) -> str:
        """The equivalent CLI command (shown in events and on the dashboard)."""
        parts = ["polyregion", "fault", self.action]
        if self.action in ("kill", "revive", "dependency") and self.region:
            parts.append(self.region)
        if self.action == "dependency":
            parts += [self.dependency or "", self.mode or ""]
        if self.action == "partition":
            parts += list(self.regions)
        return " ".join(parts)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action, "command": self.command}
        if self.region:
            out["region"] = self.region
        if self.dependency:
            out["dependency"] = self.dependency
            out["mode"] = self.mode
        if self.regions:
            out["regions"] = list(self.regions)
        return out


def parse(data: object, region_names: Sequence[str]) -> Fault:
    """Validate a fault request against the topology's regions."""
    if not isinstance(data, Mapping):
        raise FaultError('a fault is a JSON object such as {"action": "kill", "region": "..."}')
    action = data.get("action")
    if action not in ACTIONS:
        raise FaultError(f"action {action!r} is unknown; use one of: {', '.join(ACTIONS)}")
    if action == "heal":
        return Fault("heal")
    if action == "partition":
        regions = data.get("regions")
        if not isinstance(regions, list | tuple) or len(regions) != 2 or regions[0] == regions[1]:
            raise FaultError('partition needs "regions": [A, B], two different regions')
        for r in regions:
            _region(r, region_names)
        return Fault("partition", regions=(str(regions[0]), str(regions[1])))
    region = _region(data.get("region"), region_names)
    if action in ("kill", "revive"):
        return Fault(str(action), region=region)
    dependency = data.get("dependency")
    if dependency not in DEPENDENCIES:
        raise FaultError(
            f"dependency {dependency!r} is unknown; use one of: {', '.join(DEPENDENCIES)}"
        )
    mode = data.get("mode")
    if mode not in MODES:
        raise FaultError(f"mode {mode!r} is unknown; use one of: {', '.join(MODES)}")
    return Fault("dependency", region=region, dependency=str(dependency), mode=str(mode))


def _region(value: object, region_names: Sequence[str]) -> str:
    if value not in region_names:
        raise FaultError(
            f"region {value!r} is not in the topology; use one of: {', '.join(region_names)}"
        )
    return str(value)
