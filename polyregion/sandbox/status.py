"""The status JSON: a documented, stable contract (docs/sandbox.md). Add fields; never rename.

Built from the supervisor's live state on every `GET /status`; cheap (no network calls):
the monitor keeps the DNS and edge views current in the background.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from polyregion.sandbox import profile as profiles
from polyregion.topology import naming

if TYPE_CHECKING:
    from polyregion.sandbox.supervisor import Supervisor

RECENT_EVENTS = 50
SCHEMA_VERSION = 1


def build(sv: Supervisor) -> dict[str, Any]:
    topo, plan = sv.topology, sv.plan
    by_ip = plan.region_by_ip
    health = sv.region_health()
    regions = []
    for r in plan.regions:
        app = sv.children.get(f"app:{r.name}")
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
                "app": {
                    "command": list(app.argv) if app else None,
                    "log": str(app.log_path) if app and app.log_path else None,
                    "exit_code": app.returncode if app else None,
                    # None: not checked (no origin-verify, or the app did not answer)
                    "origin_open": sv.origin_open.get(r.name),
                },
                "faults": {
                    # killed by `fault kill`, or exited by itself while the sandbox ran
                    "killed": r.name in sv.killed
                    or (app is not None and not app.alive and sv.phase == "running"),
                    "dependencies": dict(sv.dependencies[r.name]),
                },
                "health": health.get(r.name),
            }
        )
    locations = []
    for loc in plan.locations:
        dns = sv.monitor.dns.get(loc.name)
        edge = sv.monitor.edges.get(loc.name)
        locations.append(
            {
                "name": loc.name,
                "subnet": str(loc.subnet),
                "entry_url": loc.entry_url,
                "edge_ip": loc.ip,
                "nearest": list(loc.nearest),
                "region": by_ip.get(dns["ip"]) if dns else None,
                "dns": None if dns is None else {**dns, "region": by_ip.get(dns["ip"])},
                "edge": None
                if edge is None
                else {**edge, "region": by_ip.get(edge["ip"]) if edge.get("ip") else None},
            }
        )
    now = time.time()
    return {
        "schema": SCHEMA_VERSION,
        "name": topo.name,
        "phase": sv.phase,
        "healthy": sv.healthy,
        "started_at": sv.started_at,
        "healthy_at": sv.healthy_at,
        "uptime_s": round(now - sv.started_at, 3),
        "profile": profiles.to_json(sv.profile),
        "config": topo.source,
        "control_url": plan.control_url,
        "app_hostname": topo.app_hostname,
        "origin_hostname": topo.origin_hostname,
        "route53_endpoint": sv.route53_endpoint,
        "hosted_zone_id": sv.hosted_zone_id,
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
        "replication": sv.replication.status() if sv.replication is not None else {},
        "events": [e.to_json() for e in sv.events.recent(RECENT_EVENTS)],
        "last_event_seq": sv.events.last_seq,
        "dashboard_url": sv.dashboard_url,
        "logs": str(sv.run_dir.logs),
    }
