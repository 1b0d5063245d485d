"""The ready-made checks against a real moto server: ok when usable, the AWS code when not."""

from __future__ import annotations

import asyncio

import pytest

from polyregion.data.clients import RegionClients
from polyregion.kit import (
    HealthChecker,
    dynamodb_table_check,
    s3_bucket_check,
    secret_check,
)
from tests.kit.conftest import REGION

pytestmark = pytest.mark.functional


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
