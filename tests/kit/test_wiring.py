"""The pieces put together from the contract's environment (kit.wiring), against moto."""

from __future__ import annotations

import asyncio

import pytest

from polyregion.data.clients import RegionClients
from polyregion.errors import ConfigError
from polyregion.kit import AppEnv, default_checks, health_checker, origin_keys, sessions
from tests.kit.conftest import REGION

pytestmark = pytest.mark.functional


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


def test_sessions_need_the_session_secret_and_origin_keys_follow_the_variable() -> None:
    env = AppEnv(region=REGION)
    with pytest.raises(ConfigError, match="POLYREGION_SECRET_SESSION"):
        sessions(env, issuer="x")
    assert origin_keys(env) is None  # unset: the origin is open
    keys = origin_keys(AppEnv(region=REGION, origin_verify_secret="app/origin-verify"))
    assert keys is not None and keys.secret_id == "app/origin-verify"
