"""The cdk-nag 3.x pack inside a real `app.synth()`: findings land in CDK's validation report
next to other packs', acknowledgments work the cdk-nag way, clean apps synthesize."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.infra


def app_with_records(out: Path, *, acknowledge: bool) -> Any:
    import aws_cdk as cdk
    from aws_cdk import aws_route53 as route53

    from polyregion.lint import MultiRegionChecks

    app = cdk.App(outdir=str(out))
    stack = cdk.Stack(app, "Dns", env=cdk.Environment(account="111122223333", region="eu-west-1"))
    for name in ("Unchecked", "Acked"):
        record = route53.CfnRecordSet(
            stack,
            name,
            hosted_zone_id="Z0EXAMPLE",
            name=f"{name.lower()}.example.com.",
            type="CNAME",
            ttl="60",
            resource_records=["eu.example.com"],
            set_identifier="eu-west-1",
            region="eu-west-1",
        )
        if acknowledge and name == "Acked":
            cdk.Validations.of(record).acknowledge(
                cdk.Acknowledgment(id="MultiRegion-DNS1", reason="Test: acknowledged on purpose.")
            )
    route53.CfnHealthCheck(
        stack,
        "Check",
        health_check_config=route53.CfnHealthCheck.HealthCheckConfigProperty(
            type="HTTPS", fully_qualified_domain_name="eu.example.com", request_interval=30
        ),
    )
    cdk.Validations.of(app).add_plugins(MultiRegionChecks(app))
    return app


def report(out: Path) -> dict[str, list[str]]:
    data = json.loads((out / "validation-report.json").read_text())
    plugin = next(p for p in data["pluginReports"] if p["pluginName"] == "MultiRegion")
    return {
        v["ruleName"]: [c["constructPath"] for c in v["violatingConstructs"]]
        for v in plugin["violations"]
    }


def test_violations_land_in_the_validation_report_and_acks_hold(tmp_path: Path) -> None:
    app = app_with_records(tmp_path, acknowledge=True)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    assert report(tmp_path) == {"MultiRegion-DNS1": ["Dns/Unchecked"]}


def test_a_clean_app_synthesizes(tmp_path: Path) -> None:
    import aws_cdk as cdk
    from aws_cdk import aws_route53 as route53

    from polyregion.lint import MultiRegionChecks

    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Dns", env=cdk.Environment(account="111122223333", region="eu-west-1"))
    route53.CfnHealthCheck(
        stack,
        "Check",
        health_check_config=route53.CfnHealthCheck.HealthCheckConfigProperty(
            type="HTTPS", fully_qualified_domain_name="eu.example.com", request_interval=30
        ),
    )
    cdk.Validations.of(app).add_plugins(MultiRegionChecks(app))
    assembly = app.synth()
    assert [s.stack_name for s in assembly.stacks] == ["Dns"]


def test_the_pack_runs_only_single_template_rules() -> None:
    from polyregion.lint import MultiRegionChecks
    from polyregion.lint.rules import all_rules

    pack_ids = MultiRegionChecks().rule_ids
    assert "MultiRegion-DNS1" in pack_ids and "MultiRegion-EDGE1" not in pack_ids
    assert set(pack_ids) == {r.nag_id for r in all_rules() if r.pack}
