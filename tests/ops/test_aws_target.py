"""The AWS code paths of `drill` and `lag`, run for real against a sandbox standing in for AWS.

`--target aws --aws-endpoints FILE` sends the AWS target's Route 53 calls to the sandbox's
Route 53 API, its DNS lookups to the sandbox's DNS server, its app traffic to a location's edge
and its DynamoDB/S3/Secrets Manager/CloudWatch calls to the regions' endpoints: the inversion,
the wait for health, the rollback and the lag markers all run through `AwsTarget` and
`aws_probe`, the code a real AWS drill runs.

What only real AWS can show, and this test does not: CloudFront in front of the origin,
Route 53's own checker fleet and DNS propagation, CloudWatch's ReplicationLatency datapoints
(the stand-in returns none), IAM permissions and real latencies.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from polyregion.errors import ConfigError
from polyregion.ops import healthcheck
from polyregion.ops.aws_endpoints import AwsEndpoints
from tests.sandbox.conftest import RunningSandbox, running_sandbox

pytestmark = pytest.mark.functional


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningSandbox, Path]]:
    tmp = tmp_path_factory.mktemp("aws-stand-in")
    with running_sandbox(tmp) as sandbox:
        endpoints = AwsEndpoints.from_sandbox_status(sandbox.client.status())
        path = tmp / "endpoints.json"
        path.write_text(json.dumps(endpoints.to_json()))
        yield sandbox, path


def test_health_inversion_drill_runs_the_aws_target_and_rolls_back(
    stand_in: tuple[RunningSandbox, Path],
) -> None:
    sandbox, path = stand_in
    done = sandbox.cli(
        "drill", "health-inversion", "--target", "aws", "--aws-endpoints", str(path), "--json",
        timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    report = json.loads(done.stdout)
    assert report["target"] == "aws"
    assert report["status"] == "completed", report["error"]
    assert [a["name"] for a in report["plan"]["inject"]] == ["route53.update_health_check"]
    # The wait for health ran: the stand-in's Route 53 API (GetHealthCheckStatus from its
    # checkers) reported the victim unhealthy; traffic went through the app URL meanwhile.
    assert report["health_flip_at"] is not None
    assert report["requests_total"] > 0
    assert report["rolled_back"]
    # Rolled back: the victim's check is no longer inverted, read through the same API.
    endpoints = AwsEndpoints.load(path)
    r53 = endpoints.route53_client()
    primary = sandbox.status["regions"][0]["name"]
    hc = healthcheck.find_health_check(r53, primary)
    cfg = r53.get_health_check(HealthCheckId=hc)["HealthCheck"]["HealthCheckConfig"]
    assert not cfg.get("Inverted")


def test_lag_runs_the_aws_probe_against_the_stand_in(
    stand_in: tuple[RunningSandbox, Path],
) -> None:
    sandbox, path = stand_in
    done = sandbox.cli(
        "lag", "--target", "aws", "--aws-endpoints", str(path), "--samples", "2", "--json",
        timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["target"] == "aws"
    # CloudWatch's ReplicationLatency is real-AWS only: asked, and empty on the stand-in.
    assert all(row["avg_ms"] is None for row in result["cloudwatch"])


def test_dry_run_prints_the_overridden_route53_endpoint(
    stand_in: tuple[RunningSandbox, Path],
) -> None:
    sandbox, path = stand_in
    done = sandbox.cli(
        "drill", "health-inversion", "--target", "aws", "--aws-endpoints", str(path), "--dry-run"
    )
    assert done.returncode == 0, done.stderr
    assert f"--endpoint-url {AwsEndpoints.load(path).route53}" in done.stdout


def test_bad_endpoint_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="known keys"):
        AwsEndpoints.from_dict({"route_53": "http://x"})
    with pytest.raises(ConfigError, match="host:port"):
        AwsEndpoints.from_dict({"dns": "nowhere"})
    with pytest.raises(ConfigError, match="regions"):
        AwsEndpoints.from_dict({"regions": {"us-east-1": "ftp://x"}})
    with pytest.raises(ConfigError, match="not JSON"):
        (tmp_path / "e.json").write_text("{")
        AwsEndpoints.load(tmp_path / "e.json")
    assert not AwsEndpoints().overridden
