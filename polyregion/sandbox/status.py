"""The status JSON: a documented, stable contract (docs/sandbox.md, typed in status_types.py).
Add fields; never rename.

Built on every `GET /status` from what the supervisor's parts own, each passed in (no
supervisor): cheap (no network calls), the monitor keeps the DNS and edge views current in the
background.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from polyregion.sandbox import profile as profiles
from polyregion.sandbox.children import Children
from polyregion.sandbox.events import EventLog
from polyregion.sandbox.injector import FaultInjector
from polyregion.sandbox.monitor import Monitor
from polyregion.sandbox.pac import pac_path
from polyregion.sandbox.plan import SandboxPlan
from polyregion.sandbox.profile import TimingProfile
from polyregion.sandbox.status_types import (
    AppJSON,
    DataJSON,
    HealthJSON,
    LocationJSON,
    ProfileJSON,
    RegionJSON,
    SandboxStatus,
)
from polyregion.topology import naming
from polyregion.topology.model import Topology

RECENT_EVENTS = 50
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Lifecycle:
    phase: str
    healthy: bool
    started_at: float
    healthy_at: float | None
    route53_endpoint: str | None
    hosted_zone_id: str | None
    logs: str


def build(
    topology: Topology,
    plan: SandboxPlan,
    profile: TimingProfile,
    lifecycle: Lifecycle,
    *,
    health: Mapping[str, dict[str, Any]],
    monitor: Monitor,
    injector: FaultInjector,
    children: Children,
    events: EventLog,
    data: DataJSON,
    extra: Mapping[str, Any],
    origin_open: Mapping[str, bool | None],
    run_dir: Path,
) -> SandboxStatus:
    """`extra`: the fields the components add (`replication`, `dashboard_url`);
    `origin_open`: per region, whether its app answered without the origin-verify header;
    `run_dir`: where the PAC files are."""
    topo = topology
    by_ip = plan.region_by_ip
    killed = injector.killed
    regions: list[RegionJSON] = []
    for r in plan.regions:
        app = children.get(f"app:{r.name}")
        regions.append(
            {
                "name": r.name,
                "role": str(r.role),
                "origin_ip": r.ip,
                "origin_port": r.origin_port,
                "origin_url": r.origin_url,
                "aws_endpoint": r.aws_endpoint,
                "bucket": r.bucket,
                "alive": bool(app and app.alive),
                "app": AppJSON(
                    command=list(app.argv) if app else None,
                    log=str(app.log_path) if app and app.log_path else None,
                    exit_code=app.returncode if app else None,
                    # None: not checked (no origin-verify, or the app did not answer)
                    origin_open=origin_open.get(r.name),
                ),
                "faults": {
                    # killed by `fault kill`, or exited by itself and not yet restarted
                    "killed": r.name in killed
                    or (app is not None and not app.alive and lifecycle.phase == "running"),
                    "dependencies": dict(injector.dependencies[r.name]),
                },
                "health": cast("HealthJSON | None", health.get(r.name)),
            }
        )
    locations: list[LocationJSON] = []
    for loc in plan.locations:
        dns = monitor.dns.get(loc.name)
        edge = monitor.edges.get(loc.name)
        locations.append(
            cast(
                "LocationJSON",
                {
                    "name": loc.name,
                    "subnet": str(loc.subnet),
                    "entry_url": loc.entry_url,
                    "pac_url": pac_path(run_dir, loc.name).as_uri(),
                    "edge_ip": loc.ip,
                    "nearest": list(loc.nearest),
                    "region": by_ip.get(dns["ip"]) if dns else None,
                    "dns": None if dns is None else {**dns, "region": by_ip.get(dns["ip"])},
                    "edge": None
                    if edge is None
                    else {**edge, "region": by_ip.get(edge["ip"]) if edge.get("ip") else None},
                },
            )
        )
    now = time.time()
    status: SandboxStatus = {
        "schema": SCHEMA_VERSION,
        "name": topo.name,
        "phase": lifecycle.phase,
        "healthy": lifecycle.healthy,
        "started_at": lifecycle.started_at,
        "healthy_at": lifecycle.healthy_at,
        "uptime_s": round(now - lifecycle.started_at, 3),
        "profile": cast("ProfileJSON", profiles.to_json(profile)),
        "config": topo.source,
        "control_url": plan.control_url,
        "app_hostname": topo.app_hostname,
        "origin_hostname": topo.origin_hostname,
        "route53_endpoint": lifecycle.route53_endpoint,
        "hosted_zone_id": lifecycle.hosted_zone_id,
        "dns": {"host": plan.dns_host, "port": plan.dns_port},
        "tables": {
            # "global": the first global table (the blog's), kept for readers of one table.
            "global": next((naming.table(topo, t.name) for t in topo.global_tables), None),
            "global_tables": [naming.table(topo, t.name) for t in topo.global_tables],
            "regional": [naming.table(topo, t.name) for t in topo.regional_tables],
        },
        "secret": naming.session_secret(topo),
        "regions": regions,
        "locations": locations,
        "replication": {},
        "events": [cast("Any", e.to_json()) for e in events.recent(RECENT_EVENTS)],
        "last_event_seq": events.last_seq,
        "dashboard_url": None,
        "logs": lifecycle.logs,
        "children": cast("Any", children.status()),
        "data": data,
    }
    status.update(cast("SandboxStatus", dict(extra)))
    return status
