from __future__ import annotations

import json
import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "polyregion.cli", *args], capture_output=True, text=True, check=False
    )


def test_aws_dry_run_prints_the_inverted_route53_calls_never_disabled() -> None:
    out = run(
        "drill", "health-inversion", "--target", "aws", "--dry-run", "--health-check-id", "abc-123"
    )
    assert out.returncode == 0, out.stderr
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("aws ")]
    assert lines[0].startswith(
        "aws route53 update-health-check --health-check-id abc-123 --inverted"
    )
    assert lines[1].startswith(
        "aws route53 update-health-check --health-check-id abc-123 --no-inverted"
    )
    assert "--disabled" not in out.stdout


def test_aws_region_outage_is_drilled_as_an_inversion_with_a_placeholder_id_offline() -> None:
    out = run(
        "drill", "region-outage", "--target", "aws", "--dry-run", "--json", "--region", "eu-west-1"
    )
    assert out.returncode == 0, out.stderr
    plan = json.loads(out.stdout)
    assert plan["dry_run"] is True and plan["region"] == "eu-west-1"
    assert plan["inject"][0]["name"] == "route53.update_health_check"
    assert plan["inject"][0]["args"] == {
        "HealthCheckId": "<health-check-id of eu-west-1>",
        "Inverted": True,
    }
    assert plan["rollback"][0]["args"]["Inverted"] is False


def test_scenarios_aws_cannot_cause_fail_with_one_clear_line() -> None:
    for scenario in ("partition", "dependency-failure"):
        out = run("drill", scenario, "--target", "aws", "--dry-run")
        assert out.returncode == 2
        assert "sandbox" in out.stderr and "Traceback" not in out.stderr


def test_bad_scenario_and_region_are_user_errors() -> None:
    out = run("drill", "meteor-strike", "--dry-run")
    assert out.returncode == 2 and "region-outage" in out.stderr and "Traceback" not in out.stderr
    out = run("drill", "region-outage", "--target", "aws", "--dry-run", "--region", "mars-1")
    assert out.returncode == 2 and "us-east-1" in out.stderr


def test_lag_aws_dry_run_lists_markers_and_cloudwatch_replication_latency() -> None:
    out = run("lag", "--target", "aws", "--dry-run")
    assert out.returncode == 0, out.stderr
    assert "aws dynamodb put-item --region us-east-1" in out.stdout
    assert "--metric-name ReplicationLatency" in out.stdout
    assert "Name=ReceivingRegion,Value=eu-west-1" in out.stdout
