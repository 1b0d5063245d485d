"""Fault requests from the page: validated here, forwarded to the control API, shown as CLI.

Every control on the dashboard is the same fault as a `polyregion fault ...` command, so the
page teaches the CLI: `FaultRequest.cli()` is the exact command the user could type instead.
The browser builds the same string for its preview (dashboard.js `cliCommand`); a test pins both.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Final

ACTIONS: Final = ("kill", "revive", "dependency", "partition", "heal")
DEPENDENCIES: Final = ("dynamodb", "s3", "secrets")
MODES: Final = ("down", "slow", "up")


class FaultInputError(ValueError):
    """A fault request the page (or a hand-written POST) got wrong; the message says how."""


@dataclass(frozen=True, slots=True)
class FaultRequest:
    action: str
    region: str | None = None
    dependency: str | None = None
    mode: str | None = None
    other: str | None = None  # the second region of a partition

    def cli(self) -> str:
        parts = ["polyregion", "fault", self.action]
        if self.action in ("kill", "revive"):
            parts.append(str(self.region))
        elif self.action == "dependency":
            parts += [str(self.region), str(self.dependency), str(self.mode)]
        elif self.action == "partition":
            parts += [str(self.region), str(self.other)]
        return " ".join(parts)

    def control_payload(self) -> dict[str, str]:
        """The body of `POST /fault` on the control API (docs/architecture.md)."""
        payload = {"action": self.action}
        if self.action in ("kill", "revive", "dependency"):
            payload["region"] = str(self.region)
        if self.action == "dependency":
            payload["dependency"] = str(self.dependency)
            payload["mode"] = str(self.mode)
        if self.action == "partition":
            payload["a"] = str(self.region)
            payload["b"] = str(self.other)
        return payload


def parse_fault(body: object, regions: Collection[str]) -> FaultRequest:
    """Check a JSON body against the running sandbox's regions; raise FaultInputError if bad."""
    if not isinstance(body, Mapping):
        raise FaultInputError('send a JSON object such as {"action": "kill", "region": "..."}')
    action = _choice(body, "action", ACTIONS)
    if action == "heal":
        return FaultRequest(action)
    region = _choice(body, "region", regions)
    if action in ("kill", "revive"):
        return FaultRequest(action, region=region)
    if action == "dependency":
        return FaultRequest(
            action,
            region=region,
            dependency=_choice(body, "dependency", DEPENDENCIES),
            mode=_choice(body, "mode", MODES),
        )
    other = _choice(body, "other", regions)
    if other == region:
        raise FaultInputError("other: a partition needs two different regions")
    return FaultRequest(action, region=region, other=other)


def _choice(body: Mapping[object, object], key: str, allowed: Collection[str]) -> str:
    value = body.get(key)
    if not isinstance(value, str) or value not in allowed:
        shown = repr(value)[:60]
        options = ", ".join(allowed) or "(none: is the sandbox running?)"
        raise FaultInputError(f"{key} = {shown} is invalid: must be one of {options}")
    return value
