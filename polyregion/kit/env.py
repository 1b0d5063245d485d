"""The app contract's environment, read once (docs/your-app.md lists every variable).

Every app process gets the same names locally (the sandbox) and on Lambda: where to listen,
the region it serves and every region of the topology, the physical names of the declared
tables and buckets, the secrets' ids, and, locally only, the AWS endpoint of every region.
Explicit arguments to `AppEnv.from_env()` beat the environment, so tests never have to mutate
`os.environ`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from polyregion.errors import ConfigError

HOST: Final = "HOST"
PORT: Final = "PORT"
REGION: Final = "POLYREGION_REGION"
REGIONS: Final = "POLYREGION_REGIONS"
LAMBDA_REGION: Final = "AWS_REGION"  # Lambda sets it itself; locally the sandbox does
ENDPOINTS: Final = "POLYREGION_AWS_ENDPOINTS"  # locally only; absent = real AWS
TABLE_PREFIX: Final = "POLYREGION_TABLE_"
BUCKET_PREFIX: Final = "POLYREGION_BUCKET_"
SESSION_SECRET: Final = "POLYREGION_SECRET_SESSION"  # noqa: S105 (a variable's name)
ORIGIN_VERIFY_SECRET: Final = "POLYREGION_ORIGIN_VERIFY_SECRET"  # noqa: S105
ORIGIN_VERIFY_HEADER: Final = "POLYREGION_ORIGIN_VERIFY_HEADER"
SECURE_COOKIES: Final = "POLYREGION_SECURE_COOKIES"
DEFAULT_ORIGIN_VERIFY_HEADER: Final = "x-origin-verify"


def env_key(name: str) -> str:
    """A declared name as it appears in a variable: upper-cased, non-alphanumerics as `_`."""
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def parse_endpoints(raw: str | None) -> dict[str, str]:
    """`POLYREGION_AWS_ENDPOINTS` as a dict; {} when unset (real AWS)."""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(ENDPOINTS, raw, 'a JSON object {"region": "http://host:port"}')
    return value


@dataclass(frozen=True, slots=True)
class AppEnv:
    """What the contract tells one app process; frozen so no request can change it."""

    region: str
    regions: tuple[str, ...] = ()
    # region -> endpoint URL (the sandbox); a region missing here means real AWS.
    endpoints: Mapping[str, str] = field(default_factory=dict)
    tables: Mapping[str, str] = field(default_factory=dict)  # declared name -> physical
    buckets: Mapping[str, str] = field(default_factory=dict)  # declared name -> this region's
    session_secret: str | None = None
    origin_verify_secret: str | None = None  # None: the origin is open (not verified)
    origin_verify_header: str = DEFAULT_ORIGIN_VERIFY_HEADER
    secure_cookies: bool = True
    host: str = "127.0.0.1"
    port: int = 8080

    def __post_init__(self) -> None:
        if self.regions and self.region not in self.regions:
            raise ConfigError(REGION, self.region, f"one of {', '.join(self.regions)}")

    def table(self, name: str) -> str:
        """The physical name of declared table `name` (ConfigError naming the variable)."""
        return _lookup(self.tables, name, TABLE_PREFIX, "table")

    def bucket(self, name: str) -> str:
        """This region's physical name of declared bucket `name`."""
        return _lookup(self.buckets, name, BUCKET_PREFIX, "bucket")

    def endpoint(self, region: str) -> str | None:
        """The AWS endpoint to use for `region`: the sandbox's, or None for real AWS."""
        return self.endpoints.get(region)

    @property
    def other_regions(self) -> tuple[str, ...]:
        return tuple(r for r in self.regions if r != self.region)

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        region: str | None = None,
        regions: tuple[str, ...] | None = None,
        endpoints: Mapping[str, str] | None = None,
        tables: Mapping[str, str] | None = None,
        buckets: Mapping[str, str] | None = None,
        session_secret: str | None = None,
        origin_verify_secret: str | None = None,
        origin_verify_header: str | None = None,
        secure_cookies: bool | None = None,
        host: str | None = None,
        port: int | None = None,
    ) -> AppEnv:
        """Explicit arguments, then `environ` (default: the process environment)."""
        env = os.environ if environ is None else environ
        name = region or env.get(REGION) or env.get(LAMBDA_REGION)
        if not name:
            raise ConfigError(REGION, None, f"set {REGION} (on Lambda, AWS_REGION is set)")
        if regions is None:
            raw = env.get(REGIONS, "")
            regions = tuple(r.strip() for r in raw.split(",") if r.strip()) or (name,)
        if port is None:
            raw_port = env.get(PORT, "8080")
            if not raw_port.isdigit() or not 0 <= int(raw_port) <= 65535:
                raise ConfigError(PORT, raw_port, "a port number 0-65535")
            port = int(raw_port)
        return cls(
            region=name,
            regions=regions,
            endpoints=dict(parse_endpoints(env.get(ENDPOINTS)) if endpoints is None else endpoints),
            tables=dict(_prefixed(env, TABLE_PREFIX) if tables is None else tables),
            buckets=dict(_prefixed(env, BUCKET_PREFIX) if buckets is None else buckets),
            session_secret=session_secret or env.get(SESSION_SECRET) or None,
            origin_verify_secret=origin_verify_secret or env.get(ORIGIN_VERIFY_SECRET) or None,
            origin_verify_header=(
                origin_verify_header
                or env.get(ORIGIN_VERIFY_HEADER)
                or DEFAULT_ORIGIN_VERIFY_HEADER
            ).lower(),
            secure_cookies=(
                secure_cookies if secure_cookies is not None else env.get(SECURE_COOKIES) != "0"
            ),
            host=host or env.get(HOST) or "127.0.0.1",
            port=port,
        )


def _prefixed(env: Mapping[str, str], prefix: str) -> dict[str, str]:
    """{"NOTES": "app-notes"} for POLYREGION_TABLE_NOTES=app-notes: keyed by the env key."""
    return {k.removeprefix(prefix): v for k, v in env.items() if k.startswith(prefix) and v}


def _lookup(names: Mapping[str, str], name: str, prefix: str, what: str) -> str:
    found = names.get(name) or names.get(env_key(name))
    if not found:
        raise ConfigError(
            prefix + env_key(name),
            None,
            f"declare the {what} {name!r} in polyregion.toml (the sandbox and the "
            "deploy set this variable), or pass it explicitly",
        )
    return found
