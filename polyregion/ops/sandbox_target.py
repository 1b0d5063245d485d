"""The sandbox as a drill target: faults through its control API, traffic through its edges.

Every location's traffic takes the real path: its edge entry URL, whose proxy resolves the
origin through the sandbox DNS (as that location, honouring the TTL) and forwards to a region.
Health inversion goes through the Route 53 API (boto3 against the sandbox's Route 53
endpoint), exactly as on AWS. What the app sends and reads is the topology's `[drill]`
(workload.py); acknowledged writes are read back through every location.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from polyregion.data.clients import RegionClients
from polyregion.errors import DrillError
from polyregion.ops import dnsprobe, healthcheck
from polyregion.ops.appclient import AppClient
from polyregion.ops.cleanup import Removed, remove_drill_records
from polyregion.ops.model import Action, Event, FaultPlan, Observation, Op, Sample
from polyregion.ops.scenarios import Fault, FaultKind, Timing
from polyregion.ops.workload import Workload, run_prefix
from polyregion.sandbox.status_types import SandboxStatus
from polyregion.topology.model import Topology

if TYPE_CHECKING:
    from mypy_boto3_route53 import Route53Client

READ_BACK_WORKERS = 8  # concurrent read-backs: a few hundred writes are read back in ~1 s

# moto accepts any credentials; explicit dummies keep a user's real ones out of the sandbox.
SANDBOX_CREDENTIALS = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "aws_session_token": "testing",
}


class ControlClient(Protocol):
    """What the drill needs from `polyregion.sandbox.client.SandboxClient`."""

    def status(self) -> SandboxStatus: ...

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
        workload: Workload | None = None,
        request_timeout_s: float = 2.0,
        route53: Route53Client | None = None,
        app_client: Callable[[str, str], AppClient] | None = None,
    ) -> None:
        self.topology = topology
        self.control = control
        self.workload = workload or Workload.of(topology)
        self.timeout_s = request_timeout_s
        self.status = control.status()
        self._route53 = route53
        self._app_client = app_client or (
            lambda loc, url: AppClient(loc, url, self.workload, timeout_s=self.timeout_s)
        )
        self.apps: dict[str, AppClient] = {}
        self.first_seq = 0
        self._reads: dict[str, int] = {}
        self.edge_region: dict[str, str | None] = {}  # location -> region its edge sends to
        self.seen: dict[str, set[str]] = {}  # region -> drill ids read back from it
        regions = {r["name"]: r for r in self.status["regions"]}
        self.ip_region = {r["origin_ip"]: name for name, r in regions.items()}

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
            connect, response = t.get("connect_timeout_s"), t.get("response_timeout_s")
            extra = (
                {}
                if connect is None or response is None
                else {"probe_timeout_s": float(connect) + float(response)}
            )
            return Timing(
                float(t["interval_s"]), int(t["failure_threshold"]), float(t["ttl_s"]), **extra
            )
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
            known = info["health"]["health_check_id"] if info["health"] else None
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
    @property
    def writes(self) -> bool:
        """False without `[drill.write]`: the drill then measures availability only."""
        return self.workload.writes

    def prepare(self, run_id: str) -> None:
        """One synthetic user per location, on its edge entry URL (no app-specific setup)."""
        past = self.control.events(0)
        self.first_seq = int(past[-1]["seq"]) if past else 0
        for loc in self.status["locations"]:
            self.apps[loc["name"]] = self._app_client(loc["name"], loc["entry_url"])
            self.edge_region[loc["name"]] = loc.get("region")

    def request(self, location: str, op: Op, seq: int, key: str) -> Sample:
        app = self.apps[location]
        if op == "write":
            sample = app.write(seq, key)
        else:
            n = self._reads.get(location, 0)
            self._reads[location] = n + 1
            sample = app.read(n)
        return self._attributed(sample)

    def _attributed(self, sample: Sample) -> Sample:
        """An app that does not name its region: the region the location's edge sends to."""
        if sample.ok and sample.region is None:
            return replace(sample, region=self.edge_region.get(sample.location))
        return sample

    def replicas_holding(
        self, keys: Iterable[str], regions: Iterable[str]
    ) -> Mapping[str, set[str]]:
        """Read every write back through every location (`[drill.write] read_back`): a write
        is held by a region once a read-back that region answered returns 2xx. Only regions
        some location is routed to now are returned. What was seen
        stays seen (drill records are never deleted during a drill), so each poll only reads
        back what is still missing."""
        wanted = set(keys)
        regions = tuple(regions)
        if wanted and self.workload.writes:
            with ThreadPoolExecutor(max_workers=READ_BACK_WORKERS) as pool:
                futures = [
                    pool.submit(self.apps[loc].read_back, key)
                    for loc in self.apps
                    for key in sorted(wanted)
                    if key not in self.seen.get(self._region_of(loc) or "", set())
                ]
                for fut in futures:
                    sample = self._attributed(fut.result())
                    if sample.ok and sample.region and sample.key:
                        self.seen.setdefault(sample.region, set()).add(sample.key)
        # A region no location is routed to right now (evacuated, dead) cannot be read back:
        # it is left out (unknown), not reported as missing everything.
        reachable = {self._region_of(loc) for loc in self.apps}
        return {r: self.seen.get(r, set()) & wanted for r in regions if r in reachable}

    def _region_of(self, location: str) -> str | None:
        return self.edge_region.get(location)

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
        for loc in status["locations"]:
            edge = loc["edge"]
            self.edge_region[loc["name"]] = (edge["region"] if edge else None) or loc["region"]
        return Observation(time.time(), health, resolved)

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

    def cleanup(self, run_id: str) -> Removed:
        """Delete this run's records from the app's tables and buckets in every region (after
        the report: cleanup.py)."""
        session = _session()
        clients = {
            r["name"]: RegionClients(r["name"], r["aws_endpoint"], session=session)
            for r in self.status["regions"]
        }
        return remove_drill_records(self.topology.name, clients, run_prefix(run_id))

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
