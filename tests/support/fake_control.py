"""A small stand-in for the sandbox's control API, for the dashboard's unit tests.

It follows the status contract (polyregion/sandbox/status.py, docs/sandbox.md) with two regions
and two locations, and applies faults the way the sandbox's outcome looks from outside: a killed
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

    def status(self) -> dict[str, Any]:
        """Shaped like polyregion.sandbox.status.build (the fields the dashboard reads)."""
        checkers = ("us-east-1", "us-west-2", "eu-west-1")
        return {
            "schema": 1,
            "phase": "running",
            "healthy": all(self.alive.values()),
            "regions": [
                {
                    "name": r,
                    "role": "primary" if r == REGIONS[0] else "secondary",
                    "origin_url": f"http://{IPS[r]}:8000",
                    "origin_ip": IPS[r],
                    "aws_endpoint": f"http://{IPS[r]}:8001",
                    "bucket": f"polyregion-assets-{r}",
                    "alive": self.alive[r],
                    "faults": {"killed": not self.alive[r], "dependencies": self.deps[r].copy()},
                    "health": {
                        "healthy": self.alive[r],
                        "status": "healthy" if self.alive[r] else "unhealthy",
                        "healthy_checkers": len(checkers) if self.alive[r] else 0,
                        "checkers_total": len(checkers),
                        "inverted": False,
                        "disabled": False,
                        "checkers": {
                            c: {
                                "healthy": self.alive[r],
                                "status": "Success: HTTP 200" if self.alive[r] else "Failure",
                                "latency_ms": 3.0,
                            }
                            for c in checkers
                        },
                    },
                }
                for r in REGIONS
            ],
            "route53_endpoint": "http://127.0.0.1:8002",
            "dns": {"host": "127.0.0.1", "port": 5353},
            "app_hostname": "app.example.com",
            "origin_hostname": "origin.example.com",
            "tables": {
                "global": "polyregion-data",
                "global_tables": ["polyregion-data"],
                "regional": ["polyregion-signin-audit"],
            },
            "locations": [
                {
                    "name": name,
                    "subnet": subnet,
                    "entry_url": f"http://{edge}:8000/",
                    "edge_ip": edge,
                    "region": self.resolve(name),
                    "dns": {"ip": IPS[self.resolve(name)], "ttl": 1, "region": self.resolve(name)},
                    "edge": {"ip": IPS[self.resolve(name)], "region": self.resolve(name)},
                }
                for name, subnet, edge in (
                    ("new-york", "198.51.100.0/24", "127.1.1.1"),
                    ("paris", "203.0.113.0/24", "127.1.2.1"),
                )
            ],
            "replication": copy.deepcopy(self.replication),
            "events": self.events[-50:],
            "last_event_seq": len(self.events),
            "profile": {"name": "fast", "note": "fast profile for tests and demos: NOT AWS values"},
            "dashboard_url": None,
            **self.extra,
        }

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
