"""The error hierarchy. Every error a user can cause derives from PolyregionError.

    PolyregionError
     ├── ConfigError          the topology file (or a flag) is invalid: names key, value, fix
     ├── SandboxError         the local sandbox cannot start, or is not running
     ├── DependencyError      an AWS dependency (DynamoDB, S3, Secrets Manager) failed
     └── DrillError           a failover drill could not run (e.g. not healthy at steady state)

The CLI turns any PolyregionError into a one-line message and exit code 2: never a traceback.
"""

from __future__ import annotations


class PolyregionError(Exception):
    """Root of every error polyregion raises on purpose."""

    exit_code: int = 2


class ConfigError(PolyregionError):
    """Invalid topology or option. The message names the key, the bad value and what is allowed."""

    def __init__(
        self,
        key: str,
        value: object,
        allowed: str,
        *,
        source: str | None = None,
        message: str | None = None,
    ) -> None:
        self.key = key
        self.value = value
        self.allowed = allowed
        self.source = source
        where = f"{source}: " if source else ""
        if message is None:
            # "x = None is invalid" reads like a bug: an unset key says so.
            message = (
                f"{where}{key} is not set: {allowed}"
                if value is None
                else f"{where}{key} = {value!r} is invalid: {allowed}"
            )
        super().__init__(message)


class SandboxError(PolyregionError):
    """The sandbox cannot do what was asked (already running, port in use, not running...)."""


class DependencyError(PolyregionError):
    """An AWS dependency failed; carries the dependency name for health reporting."""

    def __init__(self, dependency: str, message: str) -> None:
        self.dependency = dependency
        super().__init__(f"{dependency}: {message}")


class DrillError(PolyregionError):
    """A drill could not run or was aborted before its fault."""
