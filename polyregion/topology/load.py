"""Read `polyregion.toml` into a validated `Topology`.

Every mistake is reported as a ConfigError naming the key (`health.interval_s`), the bad value
and what is allowed, so `polyregion config check` can print one line and exit 2.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, TypeVar

from polyregion.errors import ConfigError
from polyregion.topology import limits, resources
from polyregion.topology import regions as aws
from polyregion.topology.lambda_settings import parse_lambda
from polyregion.topology.model import (
    AwsSettings,
    BucketSpec,
    Consistency,
    Coordinates,
    DnsSettings,
    HealthSettings,
    Location,
    OriginSettings,
    Region,
    Role,
    SandboxSettings,
    SessionSettings,
    Slo,
    TableSpec,
    Topology,
    Traffic,
)
from polyregion.topology.resources import NAME as _NAME
from polyregion.topology.resources import unknown

DEFAULT_FILE: Final = "polyregion.toml"
ENV_CONFIG: Final = "POLYREGION_CONFIG"

DOCUMENTATION_NETS: Final = tuple(
    ipaddress.IPv4Network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_COOKIE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_ORIGIN_HEADER = re.compile(r"^x-[a-z0-9-]{1,62}$")

# The bundled blog writes a post and its slug claim in one TransactWriteItems; the DynamoDB
# Developer Guide's multi-Region strong consistency page lists transactions among what MRSC
# global tables do not support, so the blog cannot run on MRSC: refuse it before deploy.
MRSC_BUNDLED_APP: Final = (
    "the bundled blog creates posts with TransactWriteItems, which DynamoDB multi-Region "
    "strong consistency (MRSC) global tables do not support (DynamoDB Developer Guide, "
    'multi-region-strong-consistency-gt.html): use consistency = "eventual", or run an app '
    "of your own that makes no transactional calls"
)

DEFAULT_REGIONS: Final = (
    {"name": "us-east-1", "role": "primary"},
    {"name": "eu-west-1", "role": "secondary"},
)
APP_KEYS: Final = ("name", "domain", "consistency", "command", "lambda")
DEFAULT_LOCATIONS: Final = (
    {"name": "new-york", "lat": 40.7, "lon": -74.0, "subnet": "198.51.100.0/24"},
    {"name": "paris", "lat": 48.9, "lon": 2.35, "subnet": "203.0.113.0/24"},
)

T = TypeVar("T")


def find_config(path: str | Path | None = None) -> Path | None:
    """The file to read: explicit path, then $POLYREGION_CONFIG, then ./polyregion.toml."""
    if path is not None:
        return Path(path)
    if env := os.environ.get(ENV_CONFIG):
        return Path(env)
    local = Path(DEFAULT_FILE)
    return local if local.is_file() else None


def load(path: str | Path | None = None) -> Topology:
    """Load and validate the topology; built-in defaults when there is no file."""
    found = find_config(path)
    if found is None:
        return from_dict({}, source="<defaults>")
    source = str(found)

    def bad_file(problem: str) -> ConfigError:  # "<file>: <problem>", not "file = ... invalid"
        return ConfigError("file", source, problem, message=f"{source}: {problem}")

    try:
        raw = tomllib.loads(found.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fix = (
            f"fix or unset ${ENV_CONFIG}"
            if path is None
            else "fix the path, or leave it out to use ./polyregion.toml or the built-ins"
        )
        raise bad_file(f"no such file; {fix}") from None
    except IsADirectoryError:
        raise bad_file("a directory, not a file; name a .toml file") from None
    except OSError as exc:
        raise bad_file(f"cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise bad_file("not UTF-8 text; save it as UTF-8 (TOML requires it)") from None
    except tomllib.TOMLDecodeError as exc:
        raise bad_file(f"not valid TOML: {exc}") from None
    return from_dict(raw, source=source)


def from_dict(raw: Mapping[str, Any], *, source: str = "<dict>") -> Topology:
    return _Loader(source).topology(raw)


class _Loader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, value: object, allowed: str) -> ConfigError:
        return ConfigError(key, value, allowed, source=self.source)

    # -- generic section reader ---------------------------------------------------------
    def section(self, cls: type[T], raw: object, key: str) -> T:
        """Fill a flat settings dataclass from a TOML table, type-checking every field."""
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise self.fail(key, raw, "must be a table")
        fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for name, value in raw.items():
            if name not in fields:
                raise self.fail(f"{key}.{name}", value, unknown(name, fields))
            values[name] = self.coerce(hints[name], value, f"{key}.{name}")
        return cls(**values)

    def coerce(self, hint: Any, value: object, key: str) -> Any:
        origin = typing.get_origin(hint)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(hint) if a is not type(None)]
            return None if value is None else self.coerce(args[0], value, key)
        if origin is tuple:
            if not isinstance(value, list):
                raise self.fail(key, value, "must be a list")
            (item,) = {a for a in typing.get_args(hint) if a is not Ellipsis}
            return tuple(self.coerce(item, v, f"{key}[{i}]") for i, v in enumerate(value))
        if hint is bool:
            if not isinstance(value, bool):
                raise self.fail(key, value, "must be true or false")
            return value
        if hint is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.fail(key, value, "must be a whole number")
            return value
        if hint is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.fail(key, value, "must be a number")
            return float(value)
        if hint is str:
            if not isinstance(value, str):
                raise self.fail(key, value, "must be a string")
            return value
        raise TypeError(f"unsupported settings type {hint!r} for {key}")  # programming error

    # -- the topology --------------------------------------------------------------------
    def topology(self, raw: Mapping[str, Any]) -> Topology:
        known = {
            "app", "regions", "tables", "buckets", "drill", "locations", "session", "health",
            "origin", "dns", "sandbox", "traffic", "slo", "latency", "aws", "data",
        }  # fmt: skip
        for key in raw:
            if key not in known:
                raise self.fail(key, "...", unknown(key, sorted(known), "section"))
        app = raw.get("app", {})
        if not isinstance(app, Mapping):
            raise self.fail("app", app, "must be a table")
        for key in app:
            if key not in APP_KEYS:
                raise self.fail(f"app.{key}", app[key], unknown(key, APP_KEYS))
        name = app.get("name", "polyregion")
        if not isinstance(name, str) or not _NAME.match(name):
            raise self.fail(
                "app.name", name, "3-40 lowercase letters, digits or '-' (it prefixes bucket names)"
            )
        domain = app.get("domain", "example.com")
        if not isinstance(domain, str) or not _HOST.match(domain):
            raise self.fail("app.domain", domain, "a DNS domain such as example.com")
        consistency = self.enum(Consistency, app.get("consistency", "eventual"), "app.consistency")
        command = resources.app_command(app.get("command"), self.fail)
        tables, buckets, deprecations = self.resources(raw, command)

        topo = Topology(
            name=name,
            domain=domain,
            consistency=consistency,
            regions=self.regions(raw.get("regions", DEFAULT_REGIONS)),
            locations=self.locations(raw.get("locations", DEFAULT_LOCATIONS)),
            tables=tables,
            buckets=buckets,
            app_command=command,
            app_dir=self.app_dir(),
            app_lambda=parse_lambda(app.get("lambda"), source=self.source),
            drill=resources.drill(raw.get("drill"), self.fail),
            session=self.section(SessionSettings, raw.get("session"), "session"),
            health=self.section(HealthSettings, raw.get("health"), "health"),
            origin=self.section(OriginSettings, raw.get("origin"), "origin"),
            dns=self.section(DnsSettings, raw.get("dns"), "dns"),
            sandbox=self.section(SandboxSettings, raw.get("sandbox"), "sandbox"),
            aws=self.section(AwsSettings, raw.get("aws"), "aws"),
            traffic=self.section(Traffic, raw.get("traffic"), "traffic"),
            slo=self.section(Slo, raw.get("slo"), "slo"),
            latency_overrides=self.latency(raw.get("latency", {})),
            source=self.source,
            deprecations=deprecations,
        )
        self.validate(topo)
        resources.check_bucket_lengths(topo, self.fail)
        return topo

    def app_dir(self) -> Path:
        """Where the app's command runs: the topology file's directory (cwd for the built-ins)."""
        if self.source.startswith("<"):
            return Path.cwd()
        return Path(self.source).resolve().parent

    def resources(
        self, raw: Mapping[str, Any], app_command: tuple[str, ...] | None
    ) -> tuple[tuple[TableSpec, ...], tuple[BucketSpec, ...], tuple[str, ...]]:
        """Tables and buckets: declared, migrated from [[data]]/[buckets], or the blog's.

        Without `[app] command` the file describes the bundled blog: a kind it leaves out is
        the blog's. With a command, the app gets exactly what it declares."""
        deprecations: list[str] = []
        if "data" in raw and "tables" in raw:
            raise self.fail("data", "...", "declare [[tables]] only: [[data]] is their old form")
        tables: tuple[TableSpec, ...] | None = None
        buckets: tuple[BucketSpec, ...] | None = None
        if "tables" in raw:
            tables = resources.tables(raw["tables"], self.fail)
        elif "data" in raw:
            tables = resources.migrate_data(raw["data"], self.fail)
            deprecations.append(resources.DATA_DEPRECATED)
        old_buckets = raw.get("buckets")
        if isinstance(old_buckets, Mapping):
            buckets = resources.migrate_bucket_settings(old_buckets, self.fail)
            deprecations.append(resources.BUCKETS_DEPRECATED)
        elif old_buckets is not None:
            buckets = resources.buckets(old_buckets, self.fail)
        if app_command is not None:  # an app of its own: exactly what it declares
            return tables or (), buckets or (), tuple(deprecations)
        # No command: the bundled blog, whose resources stand for what the file leaves out (so
        # its physical names never change). `tables = []` declares none.
        return (
            resources.DEFAULT_TABLES if tables is None else tables,
            resources.DEFAULT_BUCKETS if buckets is None else buckets,
            tuple(deprecations),
        )

    def enum(self, cls: type[T], value: object, key: str) -> T:
        try:
            return cls(value)  # type: ignore[call-arg]
        except ValueError:
            allowed = ", ".join(str(m) for m in cls)  # type: ignore[attr-defined]
            raise self.fail(key, value, f"must be one of: {allowed}") from None

    def table_list(self, raw: object, key: str) -> list[Mapping[str, Any]]:
        if not isinstance(raw, list | tuple) or not all(isinstance(t, Mapping) for t in raw):
            raise self.fail(key, raw, f"must be an array of tables ([[{key}]])")
        return list(raw)

    def regions(self, raw: object) -> tuple[Region, ...]:
        out = []
        for i, t in enumerate(self.table_list(raw, "regions")):
            key = f"regions[{i}]"
            self.only(t, key, ("name", "role", "lat", "lon"))
            name = t.get("name")
            if not isinstance(name, str) or not _REGION.match(name):
                raise self.fail(f"{key}.name", name, "an AWS region name such as eu-west-1")
            if name not in aws.REGION_COORDINATES and ("lat" not in t or "lon" not in t):
                raise self.unknown_region(key, name)
            role = self.enum(Role, t.get("role", "secondary"), f"{key}.role")
            out.append(
                Region(name, role, self.coordinates(t, key, aws.REGION_COORDINATES.get(name)))
            )
        if not out:
            raise self.fail("regions", [], "at least one region")
        return tuple(out)

    def unknown_region(self, key: str, name: str) -> ConfigError:
        """A typo (us-east-9) must not surface as 'regions[0].lat is not set'."""
        close = resources.closest(name, aws.REGION_COORDINATES, cutoff=0.8)
        hint = f", did you mean {close}?" if close else ";"
        return self.fail(
            f"{key}.name",
            name,
            f"unknown region {name}{hint} polyregion knows {', '.join(aws.REGION_COORDINATES)}; "
            "for another region give its lat and lon",
        )

    def coordinates(
        self, t: Mapping[str, Any], key: str, default: tuple[float, float] | None
    ) -> Coordinates:
        lat, lon = t.get("lat"), t.get("lon")
        if lat is None and lon is None and default is not None:
            return Coordinates(*default)
        for k, v, lim in (("lat", lat, 90), ("lon", lon, 180)):
            if isinstance(v, bool) or not isinstance(v, int | float) or not -lim <= v <= lim:
                raise self.fail(f"{key}.{k}", v, f"a number from -{lim} to {lim} (degrees)")
        return Coordinates(float(lat), float(lon))  # type: ignore[arg-type]

    def locations(self, raw: object) -> tuple[Location, ...]:
        out = []
        for i, t in enumerate(self.table_list(raw, "locations")):
            key = f"locations[{i}]"
            self.only(t, key, ("name", "lat", "lon", "subnet"))
            name = t.get("name")
            if not isinstance(name, str) or not _NAME.match(name):
                raise self.fail(f"{key}.name", name, "3-40 lowercase letters, digits or '-'")
            subnet_raw = t.get("subnet")
            try:
                subnet = ipaddress.IPv4Network(str(subnet_raw))
            except ValueError:
                subnet = None
            if subnet is None or not any(subnet.subnet_of(n) for n in DOCUMENTATION_NETS):
                raise self.fail(
                    f"{key}.subnet",
                    subnet_raw,
                    "an IPv4 subnet inside a documentation range "
                    "(192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24)",
                )
            out.append(Location(name, self.coordinates(t, key, None), subnet))
        return tuple(out)

    def latency(self, raw: object) -> tuple[tuple[str, str, float], ...]:
        if not isinstance(raw, Mapping):
            raise self.fail("latency", raw, 'a table of "from->region" = milliseconds')
        out = []
        for pair, ms in raw.items():
            src, sep, dst = str(pair).partition("->")
            if not sep or isinstance(ms, bool) or not isinstance(ms, int | float) or ms < 0:
                raise self.fail(f"latency.{pair}", ms, '"from->region" = milliseconds (>= 0)')
            out.append((src.strip(), dst.strip(), float(ms)))
        return tuple(out)

    def only(self, t: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> None:
        for k in t:
            if k not in allowed:
                raise self.fail(f"{key}.{k}", t[k], unknown(k, allowed))

    # -- cross-field rules, AWS limits included --------------------------------------------
    def validate(self, topo: Topology) -> None:
        names = [r.name for r in topo.regions]
        if len(set(names)) != len(names):
            raise self.fail("regions", names, "each region at most once")
        primaries = [r.name for r in topo.regions if r.role is Role.PRIMARY]
        if len(primaries) != 1:
            raise self.fail(
                "regions[].role",
                primaries,
                'set role = "primary" on exactly one region (the others are secondary)',
            )
        if topo.consistency is Consistency.STRONG:
            sets = [k for k, s in aws.MRSC_REGION_SETS.items() if set(names) <= s]
            if len(names) != 3 or not sets:
                allowed = "; ".join(
                    f"{k}: {', '.join(sorted(s))}" for k, s in aws.MRSC_REGION_SETS.items()
                )
                raise self.fail(
                    "app.consistency",
                    "strong",
                    f"needs exactly 3 regions of one region set ({allowed}); use eventual",
                )
            if topo.app_command is None:
                raise self.fail("app.consistency", "strong", MRSC_BUNDLED_APP)
        lnames = [loc.name for loc in topo.locations]
        if len(set(lnames)) != len(lnames) or set(lnames) & set(names):
            raise self.fail("locations", lnames, "unique names, different from region names")
        if not topo.locations:
            raise self.fail("locations", [], "at least one simulated location")
        nets = [loc.subnet for loc in topo.locations]
        for i, a in enumerate(nets):
            for b in nets[i + 1 :]:
                if a.overlaps(b):
                    raise self.fail("locations[].subnet", f"{a} / {b}", "subnets must not overlap")
        for src, dst, _ in topo.latency_overrides:
            if src not in set(names) | set(lnames) or dst not in names:
                raise self.fail(f"latency.{src}->{dst}", src, "a location or region -> a region")

        h = topo.health
        if h.interval_s not in aws.HEALTH_CHECK_INTERVALS:
            raise self.fail(
                "health.interval_s", h.interval_s, "must be 10 or 30 (Route 53 RequestInterval)"
            )
        lo, hi = aws.FAILURE_THRESHOLD_RANGE
        if not lo <= h.failure_threshold <= hi:
            raise self.fail("health.failure_threshold", h.failure_threshold, f"must be {lo}..{hi}")
        bad = [r for r in h.checker_regions if r not in aws.HEALTH_CHECKER_REGIONS]
        if bad:
            raise self.fail(
                "health.checker_regions",
                bad[0],
                f"Route 53 checks only from: {', '.join(aws.HEALTH_CHECKER_REGIONS)}",
            )
        if len(set(h.checker_regions)) < aws.MIN_CHECKER_REGIONS:
            raise self.fail(
                "health.checker_regions",
                list(h.checker_regions),
                f"at least {aws.MIN_CHECKER_REGIONS} distinct checker regions",
            )
        if not h.path.startswith("/"):
            raise self.fail("health.path", h.path, "an absolute path such as /api/health")
        if not 1 <= h.check_timeout_ms <= 1500:
            raise self.fail(
                "health.check_timeout_ms",
                h.check_timeout_ms,
                "1..1500: Route 53 needs the answer within 2 s",
            )
        if not 0 <= h.cache_s <= 30:
            raise self.fail("health.cache_s", h.cache_s, "0..30 seconds")

        s = topo.session
        if not _COOKIE.match(s.cookie_name):
            raise self.fail("session.cookie_name", s.cookie_name, "letters, digits, '_' or '-'")
        if s.max_age_s <= 0:
            raise self.fail("session.max_age_s", s.max_age_s, "a positive number of seconds")
        # A region keeps verifying with the keys it cached, even after they are rotated away
        # (e.g. a leaked secret): the cache must stay short for rotation to revoke anything.
        if not 0 <= s.secret_cache_s <= 3600:
            raise self.fail(
                "session.secret_cache_s", s.secret_cache_s, "0..3600 seconds (default 300)"
            )
        if s.rotation_days is not None and not 1 <= s.rotation_days <= 365:
            raise self.fail("session.rotation_days", s.rotation_days, "1..365 days, or omit it")

        o = topo.origin
        if not _ORIGIN_HEADER.match(o.verify_header):
            raise self.fail(
                "origin.verify_header",
                o.verify_header,
                "a lowercase header name starting with x- (e.g. x-origin-verify)",
            )
        if limits.cloudfront_refuses_header(o.verify_header):
            raise self.fail(
                "origin.verify_header",
                o.verify_header,
                "CloudFront cannot add this header to origin requests (x-amz-*, x-edge-*, "
                "x-real-ip and the others on its documented list): pick another name such as "
                "x-origin-verify",
            )
        # API Gateway's account-level defaults per region: 10,000 requests/s, burst 5,000.
        if not 0 < o.throttle_rate <= 10_000:
            raise self.fail(
                "origin.throttle_rate", o.throttle_rate, "requests per second, above 0 up to 10000"
            )
        if not 1 <= o.throttle_burst <= 5_000:
            raise self.fail("origin.throttle_burst", o.throttle_burst, "1..5000 requests")
        if o.throttle_burst < o.throttle_rate:
            raise self.fail(
                "origin.throttle_burst",
                o.throttle_burst,
                f"at least origin.throttle_rate ({o.throttle_rate:g}): a smaller bucket "
                "refuses traffic the rate allows",
            )

        for key, ttl in (
            ("dns.origin_ttl_s", topo.dns.origin_ttl_s),
            ("dns.alias_ttl_s", topo.dns.alias_ttl_s),
        ):
            if not 0 <= ttl <= 172_800:
                raise self.fail(key, ttl, "0..172800 seconds")

        if topo.aws.account is not None and not re.fullmatch(r"\d{12}", topo.aws.account):
            raise self.fail("aws.account", topo.aws.account, "a 12-digit AWS account id")
        zone = topo.aws.hosted_zone_id
        if zone is not None and not re.fullmatch(r"Z[A-Z0-9]{1,31}", zone):
            raise self.fail("aws.hosted_zone_id", zone, "a Route 53 zone id such as Z0123456789ABC")

        sb = topo.sandbox
        for key, port in (
            ("sandbox.dns_port", sb.dns_port),
            ("sandbox.control_port", sb.control_port),
            ("sandbox.base_port", sb.base_port),
        ):
            if not 1024 <= port <= 65000:
                raise self.fail(key, port, "a port from 1024 to 65000")
        if not 1 <= sb.app_start_timeout_s <= 600:
            raise self.fail("sandbox.app_start_timeout_s", sb.app_start_timeout_s, "1..600 seconds")
        if not re.fullmatch(r"127\.\d{1,3}", sb.loopback_prefix):
            raise self.fail("sandbox.loopback_prefix", sb.loopback_prefix, "127.<n>: loopback only")

        t = topo.traffic
        for f in dataclasses.fields(t):
            v = getattr(t, f.name)
            if v < 0:
                raise self.fail(f"traffic.{f.name}", v, "must not be negative")
        if not 0 <= t.cache_hit_ratio <= 1:
            raise self.fail("traffic.cache_hit_ratio", t.cache_hit_ratio, "a ratio from 0 to 1")
        limits.check_derived_names(topo)
