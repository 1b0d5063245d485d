"""A small stand-in for the sandbox's control API, for the dashboard's unit tests.

It follows the documented contract (docs/architecture.md, docs/sandbox.md) with two regions and
two locations, and applies faults the way the sandbox's outcome looks from outside: a killed
region turns unhealthy and every location fails over to the survivor. Real routing is tested
against the real sandbox (tests/dashboard/test_browser.py); this fake only feeds the page.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

REGIONS = ("us-east-1", "eu-west-1")
HOME = {"new-york": "us-east-1", "paris": "eu-west-1"}
IPS = {"us-east-1": "127.0.1.1", "eu-west-1": "127.0.2.1"}


class FakeSandbox:
    def __init__(self) -> None:
        self.alive = dict.fromkeys(REGIONS, True)
        self.faults: dict[str, list[str]] = {r: [] for r in REGIONS}
        self.events: list[dict[str, Any]] = []
        self.faults_received: list[dict[str, Any]] = []
        self.replication: dict[str, Any] = {
            "us-east-1->eu-west-1": {"p50_ms": 40.0, "p99_ms": 80.0, "max_ms": 95.0, "backlog": 0},
            "eu-west-1->us-east-1": {"p50_ms": 42.0, "p99_ms": 85.0, "max_ms": 99.0, "backlog": 0},
        }
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

    def status(self) -> dict[str, Any]:
        checkers = ("us-east-1", "us-west-2", "eu-west-1")
        return {
            "regions": [
                {
                    "name": r,
                    "origin_url": f"http://{IPS[r]}:8000",
                    "origin_ip": IPS[r],
                    "aws_endpoint": "http://127.0.0.1:8100",
                    "bucket": f"polyregion-assets-{r}",
                    "alive": self.alive[r],
                    "faults": list(self.faults[r]),
                    "health": {
                        "healthy": self.alive[r],
                        "checkers": {c: {"healthy": self.alive[r]} for c in checkers},
                    },
                }
                for r in REGIONS
            ],
            "route53_endpoint": "http://127.0.0.1:8200",
            "dns": {"host": "127.0.0.1", "port": 5353},
            "app_hostname": "app.example.com",
            "origin_hostname": "origin.example.com",
            "tables": {"global": "polyregion-data", "regional": ["polyregion-signin-audit"]},
            "locations": [
                {
                    "name": name,
                    "subnet": subnet,
                    "entry_url": f"http://{edge}:8080/",
                    "region": self.resolve(name),
                    "answer": IPS[self.resolve(name)],
                    "ttl": 1,
                    "coordinates": coordinates,
                }
                for name, subnet, edge, coordinates in (
                    ("new-york", "198.51.100.0/24", "127.1.1.1", {"lat": 40.7, "lon": -74.0}),
                    ("paris", "203.0.113.0/24", "127.1.2.1", {"lat": 48.9, "lon": 2.35}),
                )
            ],
            "replication": copy.deepcopy(self.replication),
            "events": self.events[-50:],
            "profile": {"name": "fast", "note": "NOT AWS values"},
            "dashboard_url": None,
            **self.extra,
        }

    def fault(self, body: dict[str, Any]) -> dict[str, Any]:
        self.faults_received.append(body)
        action, region = body.get("action"), body.get("region")
        if action in ("kill", "revive") and region in self.alive:
            self.alive[region] = action == "revive"
        elif action == "dependency" and region in self.faults:
            self.faults[region].append(f"{body['dependency']} {body['mode']}")
        elif action == "heal":
            self.alive = dict.fromkeys(REGIONS, True)
            self.faults = {r: [] for r in REGIONS}
        elif action != "partition":
            raise ValueError(f"unknown fault {body!r}")
        self.emit("fault", f"{action} {region or ''}".strip(), region=region)
        return {"applied": body}


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
