from __future__ import annotations

import pytest

from polyregion.infra.names import stack_names
from tests.infra.conftest import Synth

pytestmark = pytest.mark.infra


def test_stacks_have_explicit_regions(two: Synth) -> None:
    assert two.regions == {
        "shop-data": "us-east-1",
        "shop-secrets": "us-east-1",
        "shop-assets-us-east-1": "us-east-1",
        "shop-assets-eu-west-1": "eu-west-1",
        "shop-regional-us-east-1": "us-east-1",
        "shop-regional-eu-west-1": "eu-west-1",
        "shop-edge": "us-east-1",
    }
    assert set(two.templates) == set(stack_names(two.topology).values())


def test_three_regions_flow_through(three: Synth) -> None:
    regional = [n for n in three.templates if n.startswith("shop-regional-")]
    assert len(regional) == 3
    assert len(three.resources("AWS::Route53::HealthCheck")) == 3
    latency = [
        r for _, r in three.resources("AWS::Route53::RecordSet")
        if r["Properties"]["Name"] == "origin.example.org." and "Region" in r["Properties"]
    ]  # fmt: skip
    assert len(latency) == 3
    (table,) = [r for _, r in three.resources("AWS::DynamoDB::GlobalTable")]
    replicas = [r["Region"] for r in table["Properties"]["Replicas"]]
    assert len([r for r in replicas if r != "us-east-1"]) == 2
    assert len(three.resources("AWS::S3::Bucket")) == 3


def test_no_cross_region_references(two: Synth, three: Synth) -> None:
    """Deterministic names and parameters instead of crossRegionReferences' SSM exports."""
    for s in (two, three):
        for name, template in s.templates.items():
            text = str(template)
            assert "Fn::ImportValue" not in text, name
            assert "CrossRegion" not in text, name


def test_synth_command_prints_the_summary(two: Synth) -> None:
    # Its speed is measured in bench/infra.py (docs/benchmarks.md), not timed here.
    for name in two.templates:
        assert name in two.stdout
    assert "no unacknowledged finding" in two.stdout
    assert "source-only" in two.stdout  # a fresh clone has no build yet: said, not hidden
