"""The whole emulation end to end: moto + API front + checkers + DNS, real sockets on loopback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import dns.edns
import dns.message
import dns.query
import pytest

from polyregion.sandbox.route53.checkers import HealthFlip
from polyregion.sandbox.route53.control import Origin
from polyregion.sandbox.route53.profiles import FAST
from polyregion.sandbox.route53.service import Route53Emulation
from polyregion.topology import from_dict
from tests.sandbox.route53.origins import Origin as HttpOrigin
from tests.sandbox.route53.origins import origins

pytestmark = pytest.mark.functional

TOPO = from_dict({"app": {"name": "r53test"}})
IPS = {"us-east-1": "127.0.1.1", "eu-west-1": "127.0.2.1"}
SUBNETS = {"new-york": "198.51.100.0/24", "paris": "203.0.113.0/24"}
SLACK_S = 4.0  # a busy shared machine: honest slack on top of the theoretical bound


@dataclass
class Env:
    emu: Route53Emulation
    origins: dict[str, HttpOrigin]
    flips: list[HealthFlip]
    api: Any  # a boto3 Route 53 client against the API front

    def resolve(self, location: str, name: str = "origin.example.com") -> tuple[str, int]:
        addr, prefix = SUBNETS[location].split("/")
        q = dns.message.make_query(
            name, "A", use_edns=0, options=[dns.edns.ECSOption(addr, int(prefix))]
        )
        host, port = self.emu.dns_address
        reply = dns.query.udp(q, host, port=port, timeout=3)
        rrset = reply.answer[0]
        return next(iter(rrset)).address, rrset.ttl

    def region_of(self, location: str) -> str:
        ip, _ = self.resolve(location)
        return next(r for r, i in IPS.items() if i == ip)

    def hc(self, region: str) -> str:
        return self.emu.health_check_ids[region]


def wait_for(cond: Callable[[], bool], timeout_s: float) -> float:
    """Seconds until `cond` holds; fails the test after `timeout_s`."""
    start = time.monotonic()
    while not cond():
        if time.monotonic() - start > timeout_s:
            raise AssertionError(f"condition not met within {timeout_s} s")
        time.sleep(0.05)
    return time.monotonic() - start


@pytest.fixture(scope="module")
def env(moto_url: str) -> Iterator[Env]:
    flips: list[HealthFlip] = []
    with origins(IPS) as started:
        emu = Route53Emulation(
            TOPO,
            moto_url=moto_url,
            origins={r: Origin(o.ip, o.port) for r, o in started.items()},
            profile=FAST,
            on_flip=flips.append,
        )
        emu.set_app_records({"new-york": "127.1.1.1", "paris": "127.1.2.1"})
        with emu:
            api = boto3.client(
                "route53", endpoint_url=emu.route53_endpoint, region_name="us-east-1"
            )
            yield Env(emu, started, flips, api)


@pytest.fixture(autouse=True)
def _reset(env: Env) -> Iterator[None]:
    yield
    for region, o in env.origins.items():
        o.status = 200
        env.api.update_health_check(HealthCheckId=env.hc(region), Inverted=False, Disabled=False)
    wait_for(lambda: all(env.emu.checkers.is_healthy(env.hc(r)) for r in IPS), 10)


def test_each_location_lands_on_its_nearest_region_with_the_record_ttl(env: Env) -> None:
    assert env.region_of("new-york") == "us-east-1"
    assert env.region_of("paris") == "eu-west-1"
    assert env.resolve("paris")[1] == FAST.origin_ttl_s
    assert env.resolve("paris", "app.example.com") == ("127.1.2.1", FAST.alias_ttl_s)
    assert env.emu.region_for("paris") == "eu-west-1"


def test_control_plane_is_visible_through_the_api_front(env: Env) -> None:
    zones = env.api.list_hosted_zones_by_name(DNSName="example.com.")["HostedZones"]
    zone_id = zones[0]["Id"]
    records = env.api.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    latency = {r["Region"]: r for r in records if r["Type"] == "A" and "Region" in r}
    assert set(latency) == set(IPS)
    assert latency["eu-west-1"]["HealthCheckId"] == env.hc("eu-west-1")
    cfg = env.api.get_health_check(HealthCheckId=env.hc("eu-west-1"))["HealthCheck"][
        "HealthCheckConfig"
    ]
    assert (cfg["IPAddress"], cfg["Port"]) == (IPS["eu-west-1"], env.origins["eu-west-1"].port)
    assert cfg["ResourcePath"] == TOPO.health.path
    assert cfg["Regions"] == list(TOPO.health.checker_regions)


def test_health_check_status_reports_the_checkers_real_observations(env: Env) -> None:
    env.origins["eu-west-1"].status = 503
    wait_for(
        lambda: not env.emu.checkers.is_healthy(env.hc("eu-west-1")),
        FAST.detection_bound_s + SLACK_S,
    )
    obs = env.api.get_health_check_status(HealthCheckId=env.hc("eu-west-1"))[
        "HealthCheckObservations"
    ]
    assert {o["Region"] for o in obs} <= set(TOPO.health.checker_regions)
    assert any(
        o["StatusReport"]["Status"] == "Failure: HTTP Status Code 503, Service Unavailable"
        for o in obs
    )
    ok = env.api.get_health_check_status(HealthCheckId=env.hc("us-east-1"))[
        "HealthCheckObservations"
    ]
    assert ok and all(
        o["StatusReport"]["Status"].startswith("Success: HTTP Status Code 200") for o in ok
    )


def test_dead_region_fails_over_within_the_bound_and_comes_back(env: Env) -> None:
    env.origins["eu-west-1"].status = 500
    took = wait_for(lambda: env.region_of("paris") == "us-east-1", FAST.failover_bound_s + SLACK_S)
    assert took <= FAST.failover_bound_s + SLACK_S
    assert env.region_of("new-york") == "us-east-1"
    assert any(f.health_check_id == env.hc("eu-west-1") and not f.healthy for f in env.flips)
    assert any(f.region == "eu-west-1" and not f.healthy for f in env.flips)
    env.origins["eu-west-1"].status = 200
    wait_for(lambda: env.region_of("paris") == "eu-west-1", FAST.failover_bound_s + SLACK_S)


def test_all_unhealthy_fails_open(env: Env) -> None:
    for o in env.origins.values():
        o.status = 503
    wait_for(
        lambda: not any(env.emu.checkers.is_healthy(env.hc(r)) for r in IPS),
        FAST.detection_bound_s + SLACK_S,
    )
    assert env.region_of("paris") == "eu-west-1"
    assert env.region_of("new-york") == "us-east-1"


def test_disabled_does_not_fail_over_but_inverted_does(env: Env) -> None:
    hc = env.hc("eu-west-1")
    env.api.update_health_check(HealthCheckId=hc, Disabled=True)
    env.origins["eu-west-1"].status = 503  # even failing probes: disabled counts as healthy
    wait_for(
        lambda: not env.emu.checkers.status(hc).measured_healthy, FAST.detection_bound_s + SLACK_S
    )
    assert env.region_of("paris") == "eu-west-1"
    env.origins["eu-west-1"].status = 200
    wait_for(lambda: env.emu.checkers.status(hc).measured_healthy, FAST.detection_bound_s + SLACK_S)
    env.api.update_health_check(HealthCheckId=hc, Disabled=False, Inverted=True)
    # Through the API front the data plane follows before the call returns; allow a second.
    took = wait_for(lambda: env.region_of("paris") == "us-east-1", 1.0)
    assert took < 1.0
    # moto would have erased Regions on an update without them; the front keeps them.
    cfg = env.api.get_health_check(HealthCheckId=hc)["HealthCheck"]["HealthCheckConfig"]
    assert cfg["Inverted"] is True
    assert cfg["Regions"] == list(TOPO.health.checker_regions)
    env.api.update_health_check(HealthCheckId=hc, Disabled=True)
    assert env.region_of("paris") == "us-east-1"  # disabled + inverted: unhealthy


def test_changes_made_straight_to_moto_are_picked_up_by_polling(env: Env) -> None:
    hc = env.hc("eu-west-1")
    env.emu.moto_client.update_health_check(
        HealthCheckId=hc, Inverted=True, Regions=list(TOPO.health.checker_regions)
    )
    wait_for(lambda: env.region_of("paris") == "us-east-1", 3.0)


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_aws_cli_inverts_a_health_check_through_the_front(env: Env) -> None:
    hc = env.hc("eu-west-1")
    cli_env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    base = ["aws", "route53", "--endpoint-url", env.emu.route53_endpoint]
    done = subprocess.run(
        [*base, "update-health-check", "--health-check-id", hc, "--inverted"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    wait_for(lambda: env.region_of("paris") == "us-east-1", 1.0)
    status = subprocess.run(
        [*base, "get-health-check-status", "--health-check-id", hc],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    observations = json.loads(status.stdout)["HealthCheckObservations"]
    assert {o["Region"] for o in observations} <= set(TOPO.health.checker_regions)


def test_a_second_emulation_runs_alongside_and_stops_cleanly(env: Env, moto_url: str) -> None:
    other_topo = from_dict({"app": {"name": "r53other", "domain": "other.example.org"}})
    before = set(threading.enumerate())
    emu = Route53Emulation(
        other_topo,
        moto_url=moto_url,
        origins={r: Origin(o.ip, o.port) for r, o in env.origins.items()},
        profile=FAST,
    )
    with emu:
        host, port = emu.dns_address
        assert port != env.emu.dns_address[1]
        q = dns.message.make_query("origin.other.example.org", "A")
        reply = dns.query.udp(q, host, port=port, timeout=3)
        assert reply.answer and env.region_of("paris") == "eu-west-1"
    # The module's emulation may grow its own probe pool meanwhile: only ours must be gone.
    leftover = [t.name for t in set(threading.enumerate()) - before if t.is_alive()]
    assert not [n for n in leftover if not n.startswith(f"r53-{TOPO.name}-probe")]
