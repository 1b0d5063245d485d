"""The ready-made checks against a real moto server: ok when usable, the AWS code when not."""

from __future__ import annotations

import asyncio

import pytest

from polyregion.data.clients import RegionClients, clients_for
from polyregion.kit import (
    AppEnv,
    HealthChecker,
    default_checks,
    dynamodb_table_check,
    health_checker,
    s3_bucket_check,
    secret_check,
)

REGION = "eu-west-1"


@pytest.fixture(scope="module")
def aws(moto_url: str) -> RegionClients:
    clients = clients_for(REGION, {REGION: moto_url})
    ddb = clients.dynamodb
    for name, attrs in (("kit-notes", [("id", "S")]), ("kit-scores", [("user", "S"), ("n", "N")])):
        try:
            ddb.create_table(
                TableName=name,
                KeySchema=[
                    {"AttributeName": a, "KeyType": "HASH" if i == 0 else "RANGE"}
                    for i, (a, _) in enumerate(attrs)
                ],
                AttributeDefinitions=[{"AttributeName": a, "AttributeType": t} for a, t in attrs],
                BillingMode="PAY_PER_REQUEST",
            )
        except ddb.exceptions.ResourceInUseException:
            pass
    s3 = clients.s3
    try:
        s3.create_bucket(
            Bucket="kit-uploads-eu-west-1",
            CreateBucketConfiguration={"LocationConstraint": REGION},  # type: ignore[typeddict-item]
        )
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    sm = clients.secretsmanager
    try:
        sm.create_secret(Name="kit/session-secret", SecretString="s" * 48)
    except sm.exceptions.ResourceExistsException:
        pass
    return clients


def run(checker: HealthChecker) -> dict[str, dict[str, object]]:
    return asyncio.run(checker.report()).to_json()["checks"]  # type: ignore[no-any-return]


def test_usable_resources_are_ok_and_missing_ones_fail_with_the_aws_code(
    aws: RegionClients,
) -> None:
    checks = run(
        HealthChecker(
            REGION,
            {
                "notes": dynamodb_table_check(lambda: aws.dynamodb, "kit-notes"),
                "scores": dynamodb_table_check(lambda: aws.dynamodb, "kit-scores"),
                "bucket": s3_bucket_check(lambda: aws.s3, "kit-uploads-eu-west-1"),
                "secret": secret_check(lambda: aws.secretsmanager, "kit/session-secret"),
                "no-table": dynamodb_table_check(lambda: aws.dynamodb, "kit-missing"),
                "no-secret": secret_check(lambda: aws.secretsmanager, "kit/missing"),
            },
            timeout_s=1.5,
            cache_s=0,
        )
    )
    for name in ("notes", "scores", "bucket", "secret"):
        assert checks[name]["status"] == "ok", (name, checks[name])
    assert checks["no-table"] == {
        "status": "fail",
        "duration_ms": checks["no-table"]["duration_ms"],
        "error": "ResourceNotFoundException",
    }
    assert checks["no-secret"]["error"] == "ResourceNotFoundException"


def test_the_table_check_learns_the_key_once_then_only_reads(aws: RegionClients) -> None:
    calls: list[str] = []

    class Spy:
        def __getattr__(self, name: str) -> object:
            calls.append(name)
            return getattr(aws.dynamodb, name)

    check = dynamodb_table_check(lambda: Spy(), "kit-scores")
    check()
    check()
    assert calls == ["describe_table", "get_item", "get_item"]


def test_default_checks_cover_every_declared_table_bucket_and_the_session_secret(
    aws: RegionClients, moto_url: str
) -> None:
    env = AppEnv.from_env(
        {
            "POLYREGION_REGION": REGION,
            "POLYREGION_AWS_ENDPOINTS": f'{{"{REGION}": "{moto_url}"}}',
            "POLYREGION_TABLE_NOTES": "kit-notes",
            "POLYREGION_BUCKET_UPLOADS": "kit-uploads-eu-west-1",
            "POLYREGION_SECRET_SESSION": "kit/session-secret",
        }
    )
    assert set(default_checks(env)) == {"table:notes", "bucket:uploads", "secret:session"}
    report = asyncio.run(health_checker(env).report())
    assert report.healthy, report.to_json()
