"""A small stand-in for the sandbox's control API, for the dashboard's unit tests.

It answers the typed status contract (polyregion/sandbox/status_types.py, docs/sandbox.md) with
two regions and two locations, and applies faults the way the sandbox's outcome looks from
outside: a killed region turns unhealthy and every location fails over to the survivor. Real
routing is tested against the real sandbox (tests/dashboard/test_browser.py); this fake only
feeds the page.
"""

from __future__ import annotations

import copy
import time
from typing import Any, cast

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from polyregion.sandbox.status_types import (
    CheckerJSON,
    EventJSON,
    HealthJSON,
    LocationJSON,
    ProfileJSON,
    RegionJSON,
    SandboxStatus,
)

REGIONS = ("us-east-1", "eu-west-1")
HOME = {"new-york": "us-east-1", "paris": "eu-west-1"}
IPS = {"us-east-1": "127.0.1.1", "eu-west-1": "127.0.2.1"}
FAST_PROFILE: ProfileJSON = {
    "name": "fast", "aws_faithful": False, "label": "fast (not AWS values)", "interval_s": 1.0,
    "failure_threshold": 2, "ttl_s": 1, "alias_ttl_s": 1, "connect_timeout_s": 1.0,
    "response_timeout_s": 1.5, "kill_bound_s": 3.0, "failover_bound_s": 5.5,
    "note": "fast profile for tests and demos: NOT AWS values",
}  # fmt: skip


class FakeSandbox:
    def __init__(self) -> None:
        self.alive = dict.fromkeys(REGIONS, True)
        self.deps = {r: dict.fromkeys(("dynamodb", "s3", "secrets"), "up") for r in REGIONS}
        self.events: list[dict[str, Any]] = []
        self.faults_received: list[dict[str, Any]] = []
        # Shaped like the replicator's status (polyregion.replication): pairs and partitions.
        self.replication: dict[str, Any] = {
            "pairs": [
                {"source": a, "destination": b, "p50_ms": p50, "p99_ms": p99, "max_ms": mx,
                 "samples": 20, "backlog": 0}
                for a, b, p50, p99, mx in (
                    ("us-east-1", "eu-west-1", 40.0, 80.0, 95.0),
                    ("eu-west-1", "us-east-1", 42.0, 85.0, 99.0),
                )
            ],
            "partitions": [],
        }  # fmt: skip
        self.extra: dict[str, Any] = {}
        self.emit("sandbox", "sandbox started")

    def emit(self, kind: str, message: str, region: str | None = None) -> None:
        self.events.append(
            {
                "seq": len(self.events) + 1,
                "time": time.time(),
                "kind": kind,
                "region": region,
                "location": None,
                "message": message,
                "detail": {},
            }
        )

    def resolve(self, location: str) -> str:
        home = HOME[location]
        if self.alive[home]:
            return home
        return next((r for r in REGIONS if self.alive[r]), home)  # fail open

    def status(self) -> SandboxStatus:
        """A `SandboxStatus` (polyregion/sandbox/status_types.py), built from its types: mypy
        and tests/sandbox/test_status_types.py check it, so it cannot drift from the real one."""
        checkers = ("us-east-1", "us-west-2", "eu-west-1")
        now = time.time()

        def health(r: str) -> HealthJSON:
            up = self.alive[r]
            checker: CheckerJSON = {
                "healthy": up, "status": "Success: HTTP 200" if up else "Failure",
                "status_code": 200 if up else None, "latency_ms": 3.0, "checked_at": now,
                "consecutive_ok": 3 if up else 0, "consecutive_failed": 0 if up else 3,
            }  # fmt: skip
            return {
                "healthy": up, "status": "healthy" if up else "unhealthy",
                "health_check_id": f"hc-{r}", "measured_healthy": up,
                "healthy_checkers": len(checkers) if up else 0, "checkers_total": len(checkers),
                "inverted": False, "disabled": False, "changed_at": None,
                "checkers": {c: dict(checker) for c in checkers},  # type: ignore[misc]
            }  # fmt: skip

        def region(r: str) -> RegionJSON:
            return {
                "name": r, "role": "primary" if r == REGIONS[0] else "secondary",
                "origin_url": f"http://{IPS[r]}:8000", "origin_ip": IPS[r], "origin_port": 8000,
                "aws_endpoint": f"http://{IPS[r]}:8001", "bucket": f"polyregion-assets-{r}",
                "alive": self.alive[r],
                "app": {"command": ["python", "app.py"], "log": f"/tmp/app-{r}.log",
                        "exit_code": None, "origin_open": False},
                "faults": {"killed": not self.alive[r], "dependencies": self.deps[r].copy()},
                "health": health(r),
            }  # fmt: skip

        def location(name: str, subnet: str, edge: str) -> LocationJSON:
            to = self.resolve(name)
            return {
                "name": name, "subnet": subnet, "entry_url": f"http://{edge}:8000/",
                "pac_url": f"file:///tmp/{name}.pac",
                "edge_ip": edge, "nearest": [HOME[name], *(r for r in REGIONS if r != HOME[name])],
                "region": to,
                "dns": {"ip": IPS[to], "ttl": 1, "checked_at": now, "region": to},
                "edge": {
                    "ip": IPS[to], "ttl": 1, "resolved_at": now, "expires_in": 0.5,
                    "requests": 0, "errors": 0, "cache": {"entries": 0, "hits": 0, "misses": 0},
                    "region": to,
                },
            }  # fmt: skip

        status: SandboxStatus = {
            "schema": 1, "name": "polyregion", "phase": "running",
            "healthy": all(self.alive.values()), "started_at": now - 60, "healthy_at": now - 55,
            "uptime_s": 60.0, "profile": FAST_PROFILE, "config": "polyregion.toml",
            "control_url": "http://127.0.0.1:7600",
            "app_hostname": "app.example.com", "origin_hostname": "origin.example.com",
            "route53_endpoint": "http://127.0.0.1:8002", "hosted_zone_id": "Z1",
            "dns": {"host": "127.0.0.1", "port": 5353},
            "tables": {
                "global": "polyregion-data",
                "global_tables": ["polyregion-data"],
                "regional": ["polyregion-signin-audit"],
            },
            "secret": "polyregion/session-secret",
            "regions": [region(r) for r in REGIONS],
            "locations": [
                location("new-york", "198.51.100.0/24", "127.1.1.1"),
                location("paris", "203.0.113.0/24", "127.1.2.1"),
            ],
            "replication": copy.deepcopy(self.replication),
            "events": cast("list[EventJSON]", self.events[-50:]),
            "last_event_seq": len(self.events), "dashboard_url": None, "logs": "/tmp/logs",
            "children": [
                {"name": f"app:{r}", "pid": 1000 + i, "alive": self.alive[r], "restarts": 0,
                 "last_restart_at": None, "held": not self.alive[r], "log": None}
                for i, r in enumerate(REGIONS)
            ],
            "data": {"mode": "new", "snapshot_dir": "/tmp/data", "restored_from": None,
                     "restored": None, "kept_at": None, "kept": None},
        }  # fmt: skip
        status.update(cast("SandboxStatus", self.extra))  # a test's own (even malformed) fields
        return status

    def fault(self, body: dict[str, Any]) -> dict[str, Any]:
        self.faults_received.append(body)
        action, region = body.get("action"), body.get("region")
        if action in ("kill", "revive") and region in self.alive:
            self.alive[region] = action == "revive"
        elif action == "dependency" and region in self.deps:
            self.deps[region][body["dependency"]] = body["mode"]
        elif action == "heal":
            self.alive = dict.fromkeys(REGIONS, True)
            self.deps = {r: dict.fromkeys(("dynamodb", "s3", "secrets"), "up") for r in REGIONS}
        elif action != "partition":
            raise ValueError(f"unknown fault {body!r}")
        self.emit("fault", f"{action} {region or ''}".strip(), region=region)
        return {"fault": body, "events": self.events[-1:]}


def control_app(sandbox: FakeSandbox) -> Starlette:
    async def status(request: Request) -> JSONResponse:
        return JSONResponse(sandbox.status())

    async def events(request: Request) -> JSONResponse:
        since = int(request.query_params.get("since", "0"))
        return JSONResponse({"events": [e for e in sandbox.events if e["seq"] > since]})

    async def fault(request: Request) -> JSONResponse:
        try:
            return JSONResponse(sandbox.fault(await request.json()))
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)

    return Starlette(
        routes=[
            Route("/status", status),
            Route("/events", events),
            Route("/fault", fault, methods=["POST"]),
        ]
    )
