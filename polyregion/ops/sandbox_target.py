"""The sandbox as a drill target: faults through its control API, traffic through its edges.

Every location's traffic takes the real path: its edge entry URL, whose proxy resolves the
origin through the sandbox DNS (as that location, honouring the TTL) and forwards to a region.
Health inversion goes through the Route 53 API (boto3 against the sandbox's Route 53
endpoint), exactly as on AWS. Replicas are read directly from each region's AWS endpoint.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from polyregion.data.clients import RegionClients
from polyregion.errors import DrillError
from polyregion.ops import dnsprobe, healthcheck
from polyregion.ops.appclient import AppClient
from polyregion.ops.model import Action, Event, FaultPlan, Observation, Op, Sample
from polyregion.ops.replicas import ReplicaReader
from polyregion.ops.scenarios import Fault, FaultKind, Timing
from polyregion.topology import naming
from polyregion.topology.model import Topology

if TYPE_CHECKING:
    from mypy_boto3_route53 import Route53Client

# moto accepts any credentials; explicit dummies keep a user's real ones out of the sandbox.
SANDBOX_CREDENTIALS = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "aws_session_token": "testing",
}


class ControlClient(Protocol):
    """What the drill needs from `polyregion.sandbox.client.SandboxClient`."""

    def status(self) -> dict[str, Any]: ...

    def fault(self, action: str, **args: Any) -> Any: ...

    def post_event(
        self,
        kind: str,
        message: str = "",
        *,
        region: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> Any: ...

    def events(self, since: int = 0) -> list[dict[str, Any]]: ...


def _session() -> Any:
    import boto3

    return boto3.session.Session(
        aws_access_key_id=SANDBOX_CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=SANDBOX_CREDENTIALS["aws_secret_access_key"],
        aws_session_token=SANDBOX_CREDENTIALS["aws_session_token"],
    )


class SandboxTarget:
    name = "sandbox"

    def __init__(
        self,
        topology: Topology,
        control: ControlClient,
        *,
        request_timeout_s: float = 2.0,
        route53: Route53Client | None = None,
        app_client: Callable[[str, str], AppClient] | None = None,
    ) -> None:
        self.topology = topology
        self.control = control
        self.timeout_s = request_timeout_s
        self.status = control.status()
        self._route53 = route53
        self._app_client = app_client or (
            lambda loc, url: AppClient(loc, url, timeout_s=self.timeout_s)
        )
        self.apps: dict[str, AppClient] = {}
        self.first_seq = 0
        regions = {r["name"]: r for r in self.status["regions"]}
        self.ip_region = {r["origin_ip"]: name for name, r in regions.items()}
        self.replicas = ReplicaReader(
            naming.table(topology, naming.BLOG_TABLE),
            {
                name: RegionClients(region=name, endpoint=r["aws_endpoint"], session=_session())
                for name, r in regions.items()
            },
        )

    # -- shape -------------------------------------------------------------------------------
    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(r["name"] for r in self.status["regions"])

    @property
    def locations(self) -> tuple[str, ...]:
        return tuple(loc["name"] for loc in self.status["locations"])

    def timing(self) -> Timing:
        """The running profile (fast or AWS-faithful) as the sandbox reports it."""
        t = self.status.get("profile") or self.status.get("timing") or {}
        if t:
            return Timing(float(t["interval_s"]), int(t["failure_threshold"]), float(t["ttl_s"]))
        return Timing.of(self.topology)

    @property
    def route53(self) -> Route53Client:
        if self._route53 is None:
            self._route53 = _session().client(
                "route53", region_name="us-east-1", endpoint_url=self.status["route53_endpoint"]
            )
        return self._route53

    # -- plan / execute ------------------------------------------------------------------------
    def plan_fault(self, fault: Fault) -> FaultPlan:
        r = fault.region
        if fault.kind is FaultKind.INVERT:
            info = next(x for x in self.status["regions"] if x["name"] == r)
            known = (info.get("health") or {}).get("health_check_id")
            hc = known or healthcheck.find_health_check(
                self.route53, r, origin_ip=info["origin_ip"]
            )
            ep = self.status["route53_endpoint"]
            return FaultPlan(
                (
                    Action(
                        "route53.update_health_check",
                        {"HealthCheckId": hc, "Inverted": True},
                        healthcheck.cli_command(hc, True, ep),
                        f"invert {r}'s health check",
                    ),
                ),
                (
                    Action(
                        "route53.update_health_check",
                        {"HealthCheckId": hc, "Inverted": False},
                        healthcheck.cli_command(hc, False, ep),
                        f"restore {r}'s health check",
                    ),
                ),
            )
        if fault.kind is FaultKind.KILL:
            return FaultPlan((_fault("kill", region=r),), (_fault("revive", region=r),))
        if fault.kind is FaultKind.DEPENDENCY:
            dep = fault.dependency or "dynamodb"
            return FaultPlan(
                (_fault("dependency", region=r, dependency=dep, mode="down"),),
                (_fault("dependency", region=r, dependency=dep, mode="up"),),
            )
        return FaultPlan((_fault("partition", regions=[r, fault.peer]),), (_fault("heal"),))

    def execute(self, action: Action) -> Any:
        if action.name == "route53.update_health_check":
            return healthcheck.set_inverted(
                self.route53, action.args["HealthCheckId"], bool(action.args["Inverted"])
            )
        if action.name == "sandbox.fault":
            args = dict(action.args)
            return self.control.fault(args.pop("action"), **args)
        raise DrillError(f"the sandbox target cannot execute {action.name}")

    # -- traffic -------------------------------------------------------------------------------
    def prepare(self, run_id: str) -> None:
        """Sign a user up (and so in) at every location: writes need a session and CSRF token."""
        past = self.control.events(0)
        self.first_seq = int(past[-1]["seq"]) if past else 0
        password = secrets.token_urlsafe(16)
        for loc in self.status["locations"]:
            app = self._app_client(loc["name"], loc["entry_url"])
            try:
                app.sign_in(f"drill-{run_id}-{loc['name']}", password)
            except Exception as exc:
                app.close()
                raise DrillError(
                    f"{loc['name']}: cannot sign in through {loc['entry_url']}: {exc}"
                ) from None
            self.apps[loc["name"]] = app

    def request(self, location: str, op: Op, seq: int, key: str) -> Sample:
        # Reads list the newest posts (a GSI query in the region that answers): a real read of
        # the data layer that does not depend on replication having delivered a given post.
        app = self.apps[location]
        return app.write(seq, key) if op == "write" else app.read_path("/api/posts")

    def observe(self) -> Observation:
        status = self.control.status()
        health = {r["name"]: _healthy(r.get("health")) for r in status["regions"]}
        dns = status["dns"]
        resolved: dict[str, str | None] = {}
        for loc in status["locations"]:
            try:
                ips = dnsprobe.resolve(
                    status.get("origin_hostname", self.topology.origin_hostname),
                    server=dns["host"],
                    port=int(dns["port"]),
                    subnet=loc["subnet"],
                )
                resolved[loc["name"]] = self.ip_region.get(ips[0]) if ips else None
            except Exception:  # a lost UDP packet is not a DNS change: use the status view
                resolved[loc["name"]] = loc.get("region")
        return Observation(time.time(), health, resolved)

    def replicas_holding(
        self, keys: Iterable[str], regions: Iterable[str]
    ) -> Mapping[str, set[str]]:
        return self.replicas.holding(keys, regions)

    def post_event(self, kind: str, detail: str, region: str | None = None) -> None:
        """Drill phases appear on the sandbox timeline as `drill` events."""
        self.control.post_event("drill", f"{kind}: {detail}", region=region, detail={"phase": kind})

    def system_events(self) -> list[Event]:
        """What the sandbox itself saw during the drill: health flips, DNS and edge changes."""
        out = []
        for e in self.control.events(self.first_seq):
            if e.get("kind") == "drill":
                continue  # our own, already in the recording
            detail = e.get("message") or e.get("detail") or ""
            out.append(
                Event(
                    float(e["time"]),
                    str(e["kind"]),
                    str(detail),
                    e.get("region"),
                    e.get("location"),
                    source="sandbox",
                )
            )
        return out

    def close(self) -> None:
        for app in self.apps.values():
            app.close()


def _healthy(health: Any) -> bool:
    """The routing verdict from the status JSON (`{"healthy": bool, ...}`)."""
    if isinstance(health, dict):
        return bool(health.get("healthy"))
    return bool(health == "healthy")


def _fault(action: str, **args: Any) -> Action:
    words: list[str] = []
    for v in args.values():
        words += [str(x) for x in v] if isinstance(v, list) else [str(v)]
    return Action(
        "sandbox.fault",
        {"action": action, **args},
        " ".join(["polyregion fault", action, *words]),
    )
