"""The Route 53 helpers against a real moto server (the sandbox's control plane is moto too)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from polyregion.errors import DrillError
from polyregion.ops import healthcheck

pytestmark = pytest.mark.functional


def create(r53: Any, region: str, ip: str, *, tag: bool) -> str:
    hc = r53.create_health_check(
        CallerReference=f"ref-{ip}",
        HealthCheckConfig={
            "IPAddress": ip,
            "Port": 80,
            "Type": "HTTP",
            "ResourcePath": "/api/health",
            "RequestInterval": 10,
            "FailureThreshold": 2,
            "Regions": ["us-east-1", "us-west-2", "eu-west-1"],
        },
    )["HealthCheck"]["Id"]
    if tag:
        r53.change_tags_for_resource(
            ResourceType="healthcheck",
            ResourceId=hc,
            AddTags=[{"Key": healthcheck.REGION_TAG, "Value": region}],
        )
    return str(hc)


def test_find_invert_and_restore_keep_the_checker_regions(moto_url: str) -> None:
    r53 = boto3.client("route53", region_name="us-east-1", endpoint_url=moto_url)
    tagged = create(r53, "ap-south-1", "127.0.9.1", tag=True)
    by_ip = create(r53, "sa-east-1", "127.0.9.2", tag=False)
    assert healthcheck.find_health_check(r53, "ap-south-1") == tagged
    assert healthcheck.find_health_check(r53, "sa-east-1", origin_ip="127.0.9.2") == by_ip
    with pytest.raises(DrillError, match="--health-check-id"):
        healthcheck.find_health_check(r53, "me-south-1", origin_ip="127.0.9.99")

    assert healthcheck.is_healthy(r53, tagged)
    assert healthcheck.set_inverted(r53, tagged, True)["Inverted"] is True
    cfg = r53.get_health_check(HealthCheckId=tagged)["HealthCheck"]["HealthCheckConfig"]
    assert cfg["Inverted"] is True
    assert cfg["Regions"] == ["us-east-1", "us-west-2", "eu-west-1"]  # moto would erase them
    assert not healthcheck.is_healthy(r53, tagged)
    healthcheck.set_inverted(r53, tagged, False)
    assert healthcheck.is_healthy(r53, tagged)


def test_disabled_is_healthy_and_only_inverted_forces_traffic_away(moto_url: str) -> None:
    r53 = boto3.client("route53", region_name="us-east-1", endpoint_url=moto_url)
    hc = create(r53, "af-south-1", "127.0.9.3", tag=True)
    regions = ["us-east-1", "us-west-2", "eu-west-1"]
    r53.update_health_check(HealthCheckId=hc, Disabled=True, Regions=regions)
    assert healthcheck.is_healthy(r53, hc)  # the seed's drill: nothing fails over
    r53.update_health_check(HealthCheckId=hc, Inverted=True, Regions=regions)
    assert not healthcheck.is_healthy(r53, hc)  # disabled + inverted: always unhealthy
