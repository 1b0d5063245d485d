"""The status JSON's shape, typed once (docs/sandbox.md): `GET /status`, `polyregion status
--json`, the drills, `lag`, the dashboard and the test fakes all use these types.

Stable: fields are only ever added. `status.build` returns a `SandboxStatus`; a test checks a
real sandbox's answer against these types, key by key, so the types and the JSON cannot drift.
`replication` is the replicator's own status (its shape belongs to polyregion.replication).
"""

from __future__ import annotations

from typing import Any, TypedDict


class ProfileJSON(TypedDict):
    name: str
    aws_faithful: bool
    label: str
    interval_s: float
    failure_threshold: int
    ttl_s: int
    alias_ttl_s: int
    connect_timeout_s: float
    response_timeout_s: float
    kill_bound_s: float
    failover_bound_s: float
    note: str


class CheckerJSON(TypedDict):
    healthy: bool
    status: str | None
    status_code: int | None
    latency_ms: float | None
    checked_at: float | None
    consecutive_ok: int
    consecutive_failed: int


class HealthJSON(TypedDict):
    healthy: bool
    status: str
    health_check_id: str
    measured_healthy: bool
    healthy_checkers: int
    checkers_total: int
    inverted: bool
    disabled: bool
    changed_at: float | None
    checkers: dict[str, CheckerJSON]


class FaultsJSON(TypedDict):
    killed: bool
    dependencies: dict[str, str]


class AppJSON(TypedDict):
    """The region's app process (the topology's `[app] command`, docs/your-app.md)."""

    command: list[str] | None
    log: str | None
    exit_code: int | None
    origin_open: bool | None  # None: not checked (no origin-verify, or no answer)


class RegionJSON(TypedDict):
    name: str
    role: str
    origin_ip: str
    origin_port: int
    origin_url: str
    aws_endpoint: str
    bucket: str
    alive: bool
    app: AppJSON
    faults: FaultsJSON
    health: HealthJSON | None  # None until Route 53 runs


class DnsAnswerJSON(TypedDict):
    ip: str
    ttl: int
    checked_at: float
    region: str | None


class EdgeCacheJSON(TypedDict):
    entries: int
    hits: int
    misses: int


class EdgeJSON(TypedDict):
    ip: str | None
    ttl: int | None
    resolved_at: float | None
    expires_in: float | None
    requests: int | None
    errors: int | None
    cache: EdgeCacheJSON | None
    region: str | None


class LocationJSON(TypedDict):
    name: str
    subnet: str
    entry_url: str
    pac_url: str  # a PAC file sending the browser to this location's edge (sandbox/pac.py)
    edge_ip: str
    nearest: list[str]
    region: str | None  # what DNS answers this location right now
    dns: DnsAnswerJSON | None
    edge: EdgeJSON | None  # the edge's cached view


class EventJSON(TypedDict):
    seq: int
    time: float
    kind: str
    region: str | None
    location: str | None
    message: str
    detail: dict[str, Any]


class ChildJSON(TypedDict):
    """One supervised child process (children.py)."""

    name: str
    pid: int | None
    alive: bool
    restarts: int
    last_restart_at: float | None
    held: bool  # a deliberate death (`fault kill`): not restarted until revived
    log: str | None


class DataCountsJSON(TypedDict):
    items: int
    objects: int
    secrets: int


class DataJSON(TypedDict):
    """The regions' data across `down`/`up` (region_data.py, snapshot.py)."""

    mode: str  # restored | new (nothing to restore) | fresh (`up --fresh`)
    snapshot_dir: str
    restored_from: float | None  # when the restored snapshot was taken
    restored: DataCountsJSON | None
    kept_at: float | None  # when this run's stop snapshotted it
    kept: DataCountsJSON | None


class DnsServerJSON(TypedDict):
    host: str
    port: int


# "global" is a Python keyword: the functional form names the key as the JSON has it.
# "global": the first global table (None if none is declared), kept for readers of one table.
TablesJSON = TypedDict(
    "TablesJSON", {"global": str | None, "global_tables": list[str], "regional": list[str]}
)


class SandboxStatus(TypedDict):
    schema: int
    name: str
    phase: str  # starting | running | stopping | stopped
    healthy: bool
    started_at: float
    healthy_at: float | None
    uptime_s: float
    profile: ProfileJSON
    config: str
    control_url: str
    app_hostname: str
    origin_hostname: str
    route53_endpoint: str | None
    hosted_zone_id: str | None
    dns: DnsServerJSON
    tables: TablesJSON
    secret: str
    regions: list[RegionJSON]
    locations: list[LocationJSON]
    replication: dict[str, Any]  # {} until the replicator's first answer
    events: list[EventJSON]
    last_event_seq: int
    dashboard_url: str | None
    logs: str
    children: list[ChildJSON]
    data: DataJSON
