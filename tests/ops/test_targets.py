"""Planning on both targets: what each scenario would do, as data, without touching anything."""

from __future__ import annotations

from typing import Any

import pytest

from polyregion.errors import DrillError
from polyregion.ops.aws_target import AwsTarget
from polyregion.ops.sandbox_target import SandboxTarget
from polyregion.ops.scenarios import SCENARIOS, Timing, bind
from polyregion.ops.workload import Workload
from polyregion.topology.load import from_dict

TOPO = from_dict({})


class FakeControl:
    def __init__(self) -> None:
        self.faults: list[tuple[str, dict[str, Any]]] = []
        self.posted: list[tuple[str, str, Any]] = []

    def status(self) -> dict[str, Any]:
        return {
            "regions": [
                {
                    "name": "us-east-1",
                    "origin_ip": "127.0.1.1",
                    "aws_endpoint": "http://127.0.1.1:1",
                    "health": {"healthy": True, "health_check_id": "hc-use1"},
                },
                {
                    "name": "eu-west-1",
                    "origin_ip": "127.0.2.1",
                    "aws_endpoint": "http://127.0.2.1:1",
                    "health": {"healthy": True, "health_check_id": "hc-euw1"},
                },
            ],
            "locations": [
                {"name": "new-york", "subnet": "198.51.100.0/24", "entry_url": "http://x/"}
            ],
            "route53_endpoint": "http://127.0.0.1:9",
            "profile": {
                "interval_s": 1.0,
                "failure_threshold": 2,
                "ttl_s": 1,
                "connect_timeout_s": 1.0,
                "response_timeout_s": 1.5,
            },
        }

    def fault(self, action: str, **args: Any) -> dict[str, Any]:
        self.faults.append((action, args))
        return {}

    def post_event(
        self,
        kind: str,
        message: str = "",
        *,
        region: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.posted.append((kind, message, detail))

    def events(self, since: int = 0) -> list[dict[str, Any]]:
        return []


def commands(target: Any, scenario: str, **kw: str) -> tuple[list[str], list[str]]:
    plan = target.plan_fault(bind(SCENARIOS[scenario], TOPO, **kw))
    return [a.command for a in plan.inject], [a.command for a in plan.rollback]


def test_sandbox_plans_use_the_control_api_and_the_route53_api() -> None:
    control = FakeControl()
    target = SandboxTarget(TOPO, control, workload=Workload())
    # interval x threshold + probe timeout + TTL (topology.failover)
    assert target.timing() == Timing(1.0, 2, 1.0, 2.5) and target.timing().bound_s == 5.5
    assert commands(target, "region-outage") == (
        ["polyregion fault kill us-east-1"],
        ["polyregion fault revive us-east-1"],
    )
    assert commands(target, "dependency-failure", dependency="s3", region="eu-west-1") == (
        ["polyregion fault dependency eu-west-1 s3 down"],
        ["polyregion fault dependency eu-west-1 s3 up"],
    )
    assert commands(target, "partition") == (
        ["polyregion fault partition us-east-1 eu-west-1"],
        ["polyregion fault heal"],
    )
    inject, rollback = commands(target, "health-inversion")
    assert inject == [
        "aws route53 update-health-check --health-check-id hc-use1 --inverted "
        "--endpoint-url http://127.0.0.1:9"
    ]
    assert "--no-inverted" in rollback[0] and "--disabled" not in inject[0] + rollback[0]
    plan = target.plan_fault(bind(SCENARIOS["partition"], TOPO))
    target.execute(plan.inject[0])
    assert control.faults == [("partition", {"regions": ["us-east-1", "eu-west-1"]})]
    target.post_event("fault", "kill us-east-1")
    assert control.posted == [("drill", "fault: kill us-east-1", {"phase": "fault"})]


def test_aws_plans_invert_the_health_check_and_refuse_what_aws_cannot_do() -> None:
    target = AwsTarget(TOPO, health_check_ids={"us-east-1": "abc"}, offline=True)
    assert target.timing().bound_s == 30 * 3 + 4 + 2 + 60
    inject, rollback = commands(target, "health-inversion")
    assert inject == ["aws route53 update-health-check --health-check-id abc --inverted"]
    assert rollback == ["aws route53 update-health-check --health-check-id abc --no-inverted"]
    assert commands(target, "region-outage", region="eu-west-1")[0] == [
        "aws route53 update-health-check --health-check-id <health-check-id of eu-west-1> "
        "--inverted"
    ]
    for scenario in ("partition", "dependency-failure"):
        with pytest.raises(DrillError, match="sandbox"):
            commands(target, scenario)


def test_writes_are_read_back_through_every_location_and_attributed_to_its_region() -> None:
    import httpx

    from polyregion.ops.appclient import AppClient
    from tests.ops.test_workload import Write

    control = FakeControl()
    status = control.status()
    status["locations"] = [
        {"name": "new-york", "subnet": "198.51.100.0/24", "entry_url": "http://ny/"},
        {"name": "paris", "subnet": "203.0.113.0/24", "entry_url": "http://paris/"},
    ]
    status["locations"][0]["region"] = "us-east-1"
    status["locations"][1]["region"] = "eu-west-1"
    control.status = lambda: status  # type: ignore[method-assign]
    stores = {"us-east-1": {"drill-a", "drill-b"}, "eu-west-1": {"drill-a"}}
    reads: list[str] = []

    def app(location: str, url: str) -> AppClient:
        region = "us-east-1" if location == "new-york" else "eu-west-1"

        def handle(request: httpx.Request) -> httpx.Response:
            key = request.url.path.rsplit("/", 1)[1]
            reads.append(f"{location} {key}")
            # no region header: the app does not say, the edge's region is used
            return httpx.Response(200 if key in stores[region] else 404)

        http = httpx.Client(base_url=url, transport=httpx.MockTransport(handle))
        return AppClient(location, url, Workload(("/",), Write()), client=http)

    target = SandboxTarget(TOPO, control, workload=Workload(("/",), Write()), app_client=app)
    target.prepare("r")
    keys = {"drill-a", "drill-b"}
    held = target.replicas_holding(keys, ("us-east-1", "eu-west-1"))
    assert held == {"us-east-1": {"drill-a", "drill-b"}, "eu-west-1": {"drill-a"}}
    assert len(reads) == 4
    # what was seen is not read again; a region no location reaches is unknown, not empty
    status["locations"][1]["region"] = "us-east-1"  # Paris evacuated to us-east-1
    target.edge_region["paris"] = "us-east-1"
    reads.clear()
    held = target.replicas_holding(keys, ("us-east-1", "eu-west-1"))
    assert held == {"us-east-1": {"drill-a", "drill-b"}} and reads == []
