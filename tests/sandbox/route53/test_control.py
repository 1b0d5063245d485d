"""Control plane: the plan as data, its execution against moto, and the front's rewrites."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from polyregion.sandbox.route53.checkers import HealthCheckers, HealthCheckSpec
from polyregion.sandbox.route53.control import Origin, apply_plan, plan_route53, route53_client
from polyregion.sandbox.route53.front import keep_regions, status_xml
from polyregion.sandbox.route53.mirror import Route53Mirror, record_set
from polyregion.sandbox.route53.probe import ProbeResult, ProbeTarget
from polyregion.sandbox.route53.profiles import FAST, aws_profile
from polyregion.topology import from_dict

TOPO = from_dict({"app": {"name": "ctltest", "domain": "ctl.example.net"}})
ORIGINS = {"us-east-1": Origin("127.0.1.1", 8001), "eu-west-1": Origin("127.0.2.1", 8002)}
NS = "{https://route53.amazonaws.com/doc/2013-04-01/}"


def test_plan_is_data_with_aws_valid_stored_values_even_in_the_fast_profile() -> None:
    plan = plan_route53(TOPO, ORIGINS, FAST)
    assert [hc.region for hc in plan.health_checks] == ["us-east-1", "eu-west-1"]
    cfg = plan.health_checks[1].config
    assert (cfg["IPAddress"], cfg["Port"], cfg["ResourcePath"]) == (
        "127.0.2.1",
        8002,
        "/api/health",
    )
    assert cfg["RequestInterval"] in (10, 30)  # AWS accepts nothing else; FAST lives elsewhere
    assert cfg["Regions"] == list(TOPO.health.checker_regions)
    assert [(r.name, r.ip, r.ttl) for r in plan.records] == [
        ("origin.ctl.example.net", "127.0.1.1", 1),
        ("origin.ctl.example.net", "127.0.2.1", 1),
    ]
    assert aws_profile(TOPO).origin_ttl_s == 60
    lines = plan.describe()
    assert lines[0].startswith("create-hosted-zone --name ctl.example.net")
    assert any("latency Region=eu-west-1" in line for line in lines)


def test_plan_needs_every_region_origin() -> None:
    with pytest.raises(ValueError, match="eu-west-1"):
        plan_route53(TOPO, {"us-east-1": ORIGINS["us-east-1"]}, FAST)


@pytest.mark.functional
def test_apply_is_idempotent_and_the_mirror_reads_it_back(moto_url: str) -> None:
    client = route53_client(moto_url)
    plan = plan_route53(TOPO, ORIGINS, aws_profile(TOPO))
    first = apply_plan(client, plan)
    again = apply_plan(client, plan)
    assert first == again
    checkers = HealthCheckers()
    snap = Route53Mirror(client, TOPO.domain, checkers, aws_profile(TOPO)).sync()
    assert snap is not None
    origin = snap.lookup("origin.ctl.example.net", "A")
    assert {(r.region, r.values, r.ttl) for r in origin} == {
        ("us-east-1", ("127.0.1.1",), 60),
        ("eu-west-1", ("127.0.2.1",), 60),
    }
    soa = snap.lookup("ctl.example.net", "SOA")[0]
    fields = soa.values[0].split()  # moto stores "{'Value': '...'}": unwrapped
    assert len(fields) == 7 and fields[0].startswith("ns-") and fields[-1].isdigit()
    status = checkers.status(first.health_check_ids["eu-west-1"])
    assert status.region == "eu-west-1" and status.checkers == len(TOPO.health.checker_regions)


def test_keep_regions_adds_the_stored_ones_only_when_absent() -> None:
    bare = (
        b'<?xml version="1.0"?><UpdateHealthCheckRequest xmlns="https://route53.amazonaws.com/'
        b'doc/2013-04-01/"><Inverted>true</Inverted></UpdateHealthCheckRequest>'
    )
    root = ET.fromstring(keep_regions(bare, ["us-east-1", "eu-west-1", "us-west-2"]))  # noqa: S314
    assert [e.text for e in root.iter(f"{NS}Region")] == ["us-east-1", "eu-west-1", "us-west-2"]
    assert root.find(f"{NS}Inverted") is not None
    explicit = bare.replace(
        b"<Inverted>", b"<Regions><Region>sa-east-1</Region></Regions><Inverted>"
    )
    assert keep_regions(explicit, ["us-east-1"]) == explicit
    reset = bare.replace(
        b"<Inverted>",
        b"<ResetElements><ResettableElementName>Regions</ResettableElementName></ResetElements><Inverted>",
    )
    assert keep_regions(reset, ["us-east-1"]) == reset
    assert keep_regions(b"not xml", ["us-east-1"]) == b"not xml"


def test_status_xml_has_the_aws_shape() -> None:
    spec = HealthCheckSpec(
        "hc", ProbeTarget("127.0.1.1", 1, "/"), ("us-east-1", "eu-west-1"), 10, 3
    )
    hc = HealthCheckers([spec], clock=lambda: 1_700_000_000.5)
    hc.record("hc", "eu-west-1", ProbeResult(False, None, 0.1, "Connection refused"))
    root = ET.fromstring(status_xml(hc.status("hc")))  # noqa: S314
    (obs,) = root.iter(f"{NS}HealthCheckObservation")
    assert obs.findtext(f"{NS}Region") == "eu-west-1"
    assert obs.findtext(f"{NS}StatusReport/{NS}Status") == "Failure: Connection refused"
    assert obs.findtext(f"{NS}StatusReport/{NS}CheckedTime") == "2023-11-14T22:13:20.500Z"


def test_alias_records_are_skipped_and_trailing_dots_dropped() -> None:
    assert record_set({"Name": "a.example.com.", "Type": "A", "AliasTarget": {}}) is None
    rs = record_set(
        {
            "Name": "A.Example.com.",
            "Type": "A",
            "TTL": 5,
            "ResourceRecords": [{"Value": "127.0.0.9"}],
        }
    )
    assert rs is not None and (rs.name, rs.ttl, rs.values) == ("a.example.com", 5, ("127.0.0.9",))


def test_mirror_spec_defaults_and_fast_override() -> None:
    from polyregion.sandbox.route53.mirror import health_check_spec
    from polyregion.topology.regions import HEALTH_CHECKER_REGIONS

    raw = {
        "Id": "hc-9",
        "HealthCheckConfig": {
            "IPAddress": "127.0.2.1", "Port": 8002, "Type": "HTTP", "ResourcePath": "/api/health",
            "RequestInterval": 30, "FailureThreshold": 3, "Inverted": True,
        },
    }  # fmt: skip
    aws = health_check_spec(raw, aws_profile(TOPO), {"hc-9": "eu-west-1"})
    assert aws is not None
    assert (aws.interval_s, aws.failure_threshold, aws.inverted) == (30, 3, True)
    assert aws.checker_regions == HEALTH_CHECKER_REGIONS  # no Regions: every checker region
    assert aws.region == "eu-west-1"
    fast = health_check_spec(raw, FAST, {})
    assert fast is not None and (fast.interval_s, fast.failure_threshold) == (1.0, 2)
    tcp = {"Id": "t", "HealthCheckConfig": {"IPAddress": "127.0.0.1", "Port": 1, "Type": "TCP"}}
    spec = health_check_spec(tcp, FAST, {})
    assert spec is not None and spec.target.kind == "TCP"
    https = {"Id": "s", "HealthCheckConfig": {"IPAddress": "127.0.0.1", "Type": "HTTPS"}}
    assert health_check_spec(https, FAST, {}) is None  # not probed: counts as healthy


def test_front_refuses_non_loopback_hosts_before_forwarding() -> None:
    """DNS rebinding: the front must not pass a web page's request on to moto."""
    from typing import Any

    from polyregion.sandbox.route53.front import Route53Front
    from tests.support.moto import free_port

    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens: forwarding would be a 502
    front = Route53Front(closed, moto_client=None, checkers=None)  # type: ignore[arg-type]
    seen: list[str] = []

    def call(host: str) -> bytes:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/2013-04-01/healthcheck/abc",
            "HTTP_HOST": host,
            "CONTENT_LENGTH": "0",
            "wsgi.input": None,
        }
        body = front(environ, lambda status, headers: seen.append(status))  # type: ignore[arg-type]
        return b"".join(body)

    refused = call("attacker.example:8002")
    assert seen[-1].startswith("421") and b"loopback" in refused
    call("127.0.0.1:8002")
    assert seen[-1].startswith("502")  # passed the Host check and tried moto
