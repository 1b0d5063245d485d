from __future__ import annotations

from typing import Any

import pytest

from polyregion.topology.regions import HEALTH_CHECKER_REGIONS
from tests.infra.conftest import ZONE, Synth

pytestmark = pytest.mark.infra


def _records(s: Synth, name: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (st, r["Properties"])
        for st, r in s.resources("AWS::Route53::RecordSet")
        if r["Properties"]["Name"] == name
    ]


def test_health_checks_are_valid_and_probe_each_regions_own_hostname(
    two: Synth, three: Synth
) -> None:
    """Seed defect: health checks must be deployable (interval 10/30, threshold 1..10, >= 3
    valid checker regions) and must probe the region itself, not the latency-routed name."""
    for s in (two, three):
        checks = s.resources("AWS::Route53::HealthCheck")
        assert len(checks) == len(s.topology.regions)
        seen = set()
        for stack, check in checks:
            region = stack.removeprefix("shop-regional-")
            config = check["Properties"]["HealthCheckConfig"]
            assert config["Type"] == "HTTPS"
            assert config["Port"] == 443
            assert config["EnableSNI"] is True
            assert config["ResourcePath"] == "/api/health"
            assert config["FullyQualifiedDomainName"] == f"{region}.origin.example.org"
            assert config["RequestInterval"] in (10, 30)
            assert config["RequestInterval"] == s.topology.health.interval_s
            assert 1 <= config["FailureThreshold"] <= 10
            assert config["FailureThreshold"] == s.topology.health.failure_threshold
            assert len(set(config["Regions"])) >= 3
            assert set(config["Regions"]) <= set(HEALTH_CHECKER_REGIONS)
            seen.add(config["FullyQualifiedDomainName"])
        assert len(seen) == len(checks)


def test_latency_records_for_origin_carry_their_regions_health_check(two: Synth) -> None:
    records = _records(two, "origin.example.org.")
    assert sorted(r["Region"] for _, r in records) == ["eu-west-1", "us-east-1"]
    for stack, record in records:
        region = record["Region"]
        assert stack == f"shop-regional-{region}"
        assert record["SetIdentifier"] == region
        assert record["HostedZoneId"] == ZONE
        assert record["Type"] == "CNAME"
        assert record["TTL"] == str(two.topology.dns.origin_ttl_s)
        check, attribute = record["HealthCheckId"]["Fn::GetAtt"]
        assert attribute == "HealthCheckId"
        assert two.templates[stack]["Resources"][check]["Type"] == "AWS::Route53::HealthCheck"
        (target,) = record["ResourceRecords"]
        assert target["Fn::GetAtt"][1] == "RegionalDomainName"
    (_, own), *_ = _records(two, "us-east-1.origin.example.org.")
    assert own["Type"] == "A" and own["AliasTarget"]["EvaluateTargetHealth"] is False


def test_app_alias_points_at_cloudfront_without_evaluate_target_health(two: Synth) -> None:
    records = _records(two, "app.example.org.")
    assert sorted(r["Type"] for _, r in records) == ["A", "AAAA"]
    for stack, record in records:
        assert stack == "shop-edge"
        alias = record["AliasTarget"]
        assert alias["HostedZoneId"] == "Z2FDTNDATAQYW2"
        assert alias["EvaluateTargetHealth"] is False
        assert alias["DNSName"]["Fn::GetAtt"][1] == "DomainName"


def test_failover_records_are_optional_primary_and_secondary(two: Synth, three: Synth) -> None:
    assert _records(two, "failover.origin.example.org.") == []
    records = {r["Failover"]: (st, r) for st, r in _records(three, "failover.origin.example.org.")}
    assert set(records) == {"PRIMARY", "SECONDARY"}
    assert records["PRIMARY"][0] == "shop-regional-us-east-1"
    assert records["SECONDARY"][0] == "shop-regional-eu-west-1"
    for _, record in records.values():
        assert "HealthCheckId" in record
