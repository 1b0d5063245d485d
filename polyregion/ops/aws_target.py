"""Real AWS as a drill target: boto3 with the user's credentials, same engine as the sandbox.

The fault is the AWS-documented evacuation: UpdateHealthCheck `Inverted=true` on the region's
real Route 53 health check (never `Disabled`, which Route 53 treats as healthy). Traffic is
reads of the health page from this machine to the real hostname (no writes: they would land
in production tables, so the AWS drill measures availability only); health comes from the
Route 53 API.

Every client takes its endpoint from `AwsEndpoints` (aws_endpoints.py): real AWS by default; in
CI a running sandbox stands in for AWS, so this very code runs there (tests/ops/test_aws_target).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from polyregion.errors import DrillError
from polyregion.ops import healthcheck
from polyregion.ops.appclient import AppClient
from polyregion.ops.aws_endpoints import AwsEndpoints
from polyregion.ops.model import Action, FaultPlan, Observation, Op, Sample
from polyregion.ops.scenarios import Fault, FaultKind, Timing
from polyregion.ops.workload import Workload
from polyregion.topology.model import Topology

if TYPE_CHECKING:
    from mypy_boto3_route53 import Route53Client

LOCATION = "this-machine"


class AwsTarget:
    name = "aws"

    def __init__(
        self,
        topology: Topology,
        *,
        health_check_ids: Mapping[str, str] | None = None,
        session: Any = None,
        offline: bool = False,
        request_timeout_s: float = 5.0,
        endpoints: AwsEndpoints | None = None,
    ) -> None:
        """`offline` (dry run without credentials): unknown health check ids become
        placeholders instead of API lookups."""
        self.topology = topology
        self.ids = dict(health_check_ids or {})
        self.session = session
        self.offline = offline
        self.timeout_s = request_timeout_s
        self.endpoints = endpoints or AwsEndpoints()
        self._route53: Route53Client | None = None
        self.app: AppClient | None = None

    @property
    def regions(self) -> tuple[str, ...]:
        return self.topology.region_names

    @property
    def locations(self) -> tuple[str, ...]:
        return (LOCATION,)

    def timing(self) -> Timing:
        """Route 53's clock from the topology; a stand-in's own clock when it gives one."""
        t = self.endpoints.timing
        if t is not None:
            return Timing(float(t["interval_s"]), int(t["failure_threshold"]), float(t["ttl_s"]))
        return Timing.of(self.topology)

    @property
    def route53(self) -> Route53Client:
        if self._route53 is None:
            self._route53 = self.endpoints.route53_client(self.session)
        return self._route53

    def health_check_id(self, region: str) -> str:
        if region not in self.ids:
            self.ids[region] = (
                f"<health-check-id of {region}>"
                if self.offline
                else healthcheck.find_health_check(self.route53, region)
            )
        return self.ids[region]

    # -- plan / execute ------------------------------------------------------------------------
    def plan_fault(self, fault: Fault) -> FaultPlan:
        if fault.kind is FaultKind.DEPENDENCY:
            raise DrillError(
                "dependency-failure needs fault injection inside the region (AWS FIS); "
                "on AWS run health-inversion, or run dependency-failure on the sandbox"
            )
        if fault.kind is FaultKind.PARTITION:
            raise DrillError(
                "partition cannot be caused through the public APIs polyregion uses (AWS FIS "
                "has aws:dynamodb:global-table-pause-replication); run it on the sandbox"
            )
        region = fault.region
        hc = self.health_check_id(region)
        why = (
            "AWS has no switch to turn a region off: a region outage is drilled as Route 53 "
            "sees one, by inverting the region's health check. "
            if fault.kind is FaultKind.KILL
            else ""
        )
        return FaultPlan(
            (
                Action(
                    "route53.update_health_check",
                    {"HealthCheckId": hc, "Inverted": True},
                    healthcheck.cli_command(hc, True, self.endpoints.route53),
                    why + f"invert {region}'s health check",
                ),
            ),
            (
                Action(
                    "route53.update_health_check",
                    {"HealthCheckId": hc, "Inverted": False},
                    healthcheck.cli_command(hc, False, self.endpoints.route53),
                    f"restore {region}'s health check",
                ),
            ),
        )

    def execute(self, action: Action) -> Any:
        if action.name != "route53.update_health_check":
            raise DrillError(f"the aws target cannot execute {action.name}")
        return healthcheck.set_inverted(
            self.route53, action.args["HealthCheckId"], bool(action.args["Inverted"])
        )

    # -- traffic: reads of the health page from this machine through CloudFront ---------------
    writes = False  # writes would land in your production tables: the AWS drill only reads

    def prepare(self, run_id: str) -> None:
        url = self.endpoints.app_url or f"https://{self.topology.app_hostname}"
        self.app = AppClient(
            LOCATION,
            url,
            Workload(read_paths=(self.topology.health.path,)),
            timeout_s=self.timeout_s,
        )
        if not self.app.read(0).ok:
            raise DrillError(f"{url} does not answer; deploy first")

    def request(self, location: str, op: Op, seq: int, key: str) -> Sample:
        # Writes need an account on the real site: the AWS drill sends reads only.
        assert self.app is not None
        return self.app.read(seq)

    def observe(self) -> Observation:
        health = {
            r: healthcheck.is_healthy(self.route53, self.health_check_id(r)) for r in self.regions
        }
        answer = self.endpoints.resolve(self.topology.origin_hostname)
        return Observation(time.time(), health, {LOCATION: answer})

    def replicas_holding(
        self, keys: Iterable[str], regions: Iterable[str]
    ) -> Mapping[str, set[str]]:
        return {r: set() for r in regions}  # never called with keys: no writes are sent

    def post_event(self, kind: str, detail: str, region: str | None = None) -> None:
        return None  # no dashboard on AWS; the report holds the events

    def close(self) -> None:
        if self.app is not None:
            self.app.close()
