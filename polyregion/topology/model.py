"""The topology: one typed, frozen description of the system that every part reads.

The regional app, the sandbox, the CDK stacks, the drills and the cost model all take a
`Topology`; nothing else describes regions, tables, buckets or health checks.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from polyregion.topology.lambda_settings import LambdaSettings


class Role(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"


class Scope(StrEnum):
    GLOBAL = "global"  # replicated to every region (DynamoDB global table)
    REGIONAL = "regional"  # never leaves the region it was written in


class Consistency(StrEnum):
    EVENTUAL = "eventual"  # MREC, the default: last writer wins
    STRONG = "strong"  # MRSC: exactly 3 regions of one region set


@dataclass(frozen=True, slots=True)
class Coordinates:
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Region:
    name: str
    role: Role
    coordinates: Coordinates


@dataclass(frozen=True, slots=True)
class IndexSpec:
    """A global secondary index: projects every attribute, keyed like its table."""

    name: str
    partition_key: str
    sort_key: str | None = None


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A DynamoDB table the app declares. `global`: one replica per region (a global table);
    `regional`: one table per region that never leaves it. Physical name `<app>-<name>`."""

    name: str
    scope: Scope
    partition_key: str
    sort_key: str | None = None
    indexes: tuple[IndexSpec, ...] = ()
    ttl_attribute: str | None = None
    # Key attributes (table or index keys) that are numbers; every other key attribute is a
    # string. DynamoDB needs each key attribute's type when the table is created.
    numeric_attributes: tuple[str, ...] = ()

    @property
    def key_attributes(self) -> tuple[str, ...]:
        """The primary key's attribute names, partition key first."""
        return (
            (self.partition_key,) if self.sort_key is None else (self.partition_key, self.sort_key)
        )

    def attribute_type(self, attribute: str) -> str:
        """DynamoDB's scalar type letter of a key attribute: "N" or "S"."""
        return "N" if attribute in self.numeric_attributes else "S"


@dataclass(frozen=True, slots=True)
class BucketSpec:
    """An S3 bucket the app declares, one per region: `<app>-<name>-<region>[-<account>]`.
    `global` buckets replicate to every other region (S3 replication); `regional` never do."""

    name: str
    scope: Scope = Scope.GLOBAL
    replicate_deletes: bool = False  # delete-marker replication (version deletes never replicate)
    replication_time_control: bool = True  # S3 RTC: 15 min SLA, enables replication metrics


@dataclass(frozen=True, slots=True)
class DrillWrite:
    """How a drill writes through the app and reads the write back. Every literal `{id}` in
    `path`, `body` and `read_back` is replaced by a fresh id per write."""

    method: str = "POST"
    path: str = "/"
    body: str = ""
    content_type: str = "application/json"
    read_back: str = "/"

    def render(self, write_id: str) -> tuple[str, str, str]:
        """(path, body, read_back) of one write."""
        return (
            self.path.replace("{id}", write_id),
            self.body.replace("{id}", write_id),
            self.read_back.replace("{id}", write_id),
        )


@dataclass(frozen=True, slots=True)
class DrillSettings:
    read_paths: tuple[str, ...] = ("/",)
    write: DrillWrite | None = None  # None: drills measure availability only


@dataclass(frozen=True, slots=True)
class SessionSettings:
    cookie_name: str = "pr_session"
    max_age_s: int = 7 * 24 * 3600
    secret_cache_s: int = 300  # how long a region keeps the secret in memory
    rotation_days: int | None = None  # None: no automatic rotation


@dataclass(frozen=True, slots=True)
class HealthSettings:
    path: str = "/api/health"
    interval_s: int = 30  # Route 53 RequestInterval: 10 or 30
    failure_threshold: int = 3  # 1..10
    checker_regions: tuple[str, ...] = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1")
    check_timeout_ms: int = 1000  # each dependency check; must stay well inside Route 53's 2 s
    cache_s: float = 1.0  # result cache so a storm of checkers does not hammer dependencies


@dataclass(frozen=True, slots=True)
class OriginSettings:
    """The regional origin's guards: the header CloudFront adds, and API Gateway throttling."""

    verify_header: str = "x-origin-verify"  # secret custom header CloudFront sends the origin
    throttle_rate: float = 100.0  # steady requests/s per region (HTTP API default route)
    throttle_burst: int = 200  # bucket size: requests allowed at once above the rate


@dataclass(frozen=True, slots=True)
class Location:
    """A simulated group of users: where they are, and the documentation subnet they query from."""

    name: str
    coordinates: Coordinates
    subnet: ipaddress.IPv4Network


@dataclass(frozen=True, slots=True)
class DnsSettings:
    origin_ttl_s: int = 60  # TTL of the latency records for origin.<domain>
    alias_ttl_s: int = 60  # alias to CloudFront: the target's TTL (60 s)
    failover_records: bool = False  # also publish failover.origin.<domain> (primary/secondary)


@dataclass(frozen=True, slots=True)
class AwsSettings:
    """Where the CDK stacks deploy. Absent values keep synth offline and account-agnostic."""

    account: str | None = None  # 12 digits; None: the deploying credentials' account
    hosted_zone_id: str | None = None  # Route 53 public zone of app.domain; required to deploy


@dataclass(frozen=True, slots=True)
class SandboxSettings:
    dns_port: int = 5353
    control_port: int = 7600  # the sandbox's control API (status, faults, dashboard)
    base_port: int = 8000  # first port for per-region services
    loopback_prefix: str = "127.0"  # region i origin on 127.0.<i+1>.1, edge j on 127.1.<j+1>.1
    replication_jitter_ms: float = 10.0
    replication_delay_ms: float | None = None  # None: derived from the latency model
    # How long `up` waits for each region's app to listen, then to answer its health path 200.
    app_start_timeout_s: float = 30.0


@dataclass(frozen=True, slots=True)
class Traffic:
    """The traffic profile `polyregion cost` prices: the article's 1M visits/month, with
    per-visit figures of a typical server-rendered site (docs/cost.md explains each default).

    Reads, writes and SSR time happen per *origin* request (CloudFront cache misses).
    """

    visits_per_month: int = 1_000_000
    requests_per_visit: float = 20.0  # pages, assets and API calls seen by CloudFront
    reads_per_request: float = 5.0  # DynamoDB item reads per origin request
    writes_per_request: float = 0.05  # DynamoDB item writes per origin request
    item_size_kb: float = 2.0
    ssr_duration_ms: float = 300.0
    ssr_memory_mb: int = 1024
    bytes_per_response: int = 50_000
    cache_hit_ratio: float = 0.85
    stored_gb: float = 50.0  # S3 assets per bucket
    new_objects_per_month: int = 20_000  # S3 uploads
    object_size_kb: float = 250.0
    table_gb: float = 5.0  # DynamoDB storage of the global table (per replica)
    gsi_writes_per_write: float = 1.0  # GSI updates per item write (billed in every replica)
    stream_reads_per_month: int = 0  # DynamoDB Streams reads by your own consumers, per region


@dataclass(frozen=True, slots=True)
class Slo:
    max_rto_s: float | None = None
    max_rpo_s: float | None = None
    max_lost_writes: int | None = 0


@dataclass(frozen=True, slots=True)
class Topology:
    name: str
    domain: str
    regions: tuple[Region, ...]
    locations: tuple[Location, ...]
    tables: tuple[TableSpec, ...] = ()
    buckets: tuple[BucketSpec, ...] = ()
    consistency: Consistency = Consistency.EVENTUAL
    # The app: the command that serves it (None: the bundled blog, started by the sandbox
    # itself) run from `app_dir`, the topology file's directory.
    app_command: tuple[str, ...] | None = None
    app_dir: Path = field(default_factory=Path.cwd)
    # How the app runs on Lambda ([app.lambda]; topology/lambda_settings.py).
    app_lambda: LambdaSettings = field(default_factory=LambdaSettings)
    drill: DrillSettings = field(default_factory=DrillSettings)
    session: SessionSettings = field(default_factory=SessionSettings)
    health: HealthSettings = field(default_factory=HealthSettings)
    origin: OriginSettings = field(default_factory=OriginSettings)
    dns: DnsSettings = field(default_factory=DnsSettings)
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)
    aws: AwsSettings = field(default_factory=AwsSettings)
    traffic: Traffic = field(default_factory=Traffic)
    slo: Slo = field(default_factory=Slo)
    # Optional measured latencies (ms) "from->to" overriding the distance model; keys are
    # location or region names on the left and region names on the right.
    latency_overrides: tuple[tuple[str, str, float], ...] = ()
    source: str = "<defaults>"
    # What the file still says the old way ([[data]], [buckets]): one message per migration,
    # printed by `config check` and `up` until the file is updated.
    deprecations: tuple[str, ...] = ()

    # -- derived views ------------------------------------------------------------------
    @property
    def primary(self) -> Region:
        return next(r for r in self.regions if r.role is Role.PRIMARY)

    @property
    def secondaries(self) -> tuple[Region, ...]:
        return tuple(r for r in self.regions if r.role is not Role.PRIMARY)

    @property
    def region_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.regions)

    @property
    def app_hostname(self) -> str:
        return f"app.{self.domain}"

    @property
    def origin_hostname(self) -> str:
        return f"origin.{self.domain}"

    def region(self, name: str) -> Region:
        for r in self.regions:
            if r.name == name:
                return r
        from polyregion.errors import ConfigError

        raise ConfigError("region", name, f"must be one of {', '.join(self.region_names)}")

    def location(self, name: str) -> Location:
        for loc in self.locations:
            if loc.name == name:
                return loc
        from polyregion.errors import ConfigError

        raise ConfigError(
            "location", name, f"must be one of {', '.join(x.name for x in self.locations)}"
        )

    def table(self, name: str) -> TableSpec:
        for t in self.tables:
            if t.name == name:
                return t
        from polyregion.errors import ConfigError

        raise ConfigError(
            "tables", name, f"must be one of {', '.join(t.name for t in self.tables) or '(none)'}"
        )

    def bucket_spec(self, name: str) -> BucketSpec:
        for b in self.buckets:
            if b.name == name:
                return b
        from polyregion.errors import ConfigError

        raise ConfigError(
            "buckets", name, f"must be one of {', '.join(b.name for b in self.buckets) or '(none)'}"
        )

    @property
    def global_tables(self) -> tuple[TableSpec, ...]:
        return tuple(t for t in self.tables if t.scope is Scope.GLOBAL)

    @property
    def regional_tables(self) -> tuple[TableSpec, ...]:
        return tuple(t for t in self.tables if t.scope is Scope.REGIONAL)

    @property
    def global_buckets(self) -> tuple[BucketSpec, ...]:
        return tuple(b for b in self.buckets if b.scope is Scope.GLOBAL)
