from __future__ import annotations

import pytest
from blog.settings import settings_from_env

from polyregion.errors import ConfigError
from polyregion.topology import from_dict

TOPO = from_dict({})


def test_region_from_explicit_then_polyregion_then_lambda_env() -> None:
    env = {"POLYREGION_REGION": "eu-west-1", "AWS_REGION": "us-east-1"}
    assert settings_from_env(topology=TOPO, environ=env).region == "eu-west-1"
    assert (
        settings_from_env(topology=TOPO, environ={"AWS_REGION": "us-east-1"}).region == "us-east-1"
    )
    assert settings_from_env(topology=TOPO, region="us-east-1", environ=env).region == "us-east-1"


def test_environment_values() -> None:
    env = {
        "AWS_REGION": "eu-west-1",
        "POLYREGION_AWS_ENDPOINTS": '{"eu-west-1": "http://127.0.0.1:5000"}',
        "POLYREGION_BUCKET": "my-bucket",
        "POLYREGION_ACCOUNT_ID": "123456789012",
        "POLYREGION_SECURE_COOKIES": "0",
        "POLYREGION_RYW_WAIT_MS": "250",
        "POLYREGION_ORIGIN_VERIFY_SECRET": "shop/origin-verify",
    }
    s = settings_from_env(topology=TOPO, environ=env)
    assert s.endpoint("eu-west-1") == "http://127.0.0.1:5000" and s.endpoint("us-east-1") is None
    assert s.bucket("eu-west-1") == "my-bucket"
    assert s.bucket("us-east-1") == "polyregion-assets-us-east-1-123456789012"
    assert not s.secure_cookies and s.ryw_wait_ms == 250
    assert s.origin_verify_secret == "shop/origin-verify"
    plain = settings_from_env(topology=TOPO, environ={"AWS_REGION": "eu-west-1"})
    assert plain.secure_cookies and plain.origin_verify_secret is None  # not enforced


def test_the_app_contract_environment_names_the_resources() -> None:
    """Under the sandbox (and on Lambda) the names come from the contract's variables."""
    env = {
        "POLYREGION_REGION": "eu-west-1",
        "POLYREGION_TABLE_DATA": "blog-data",
        "POLYREGION_TABLE_SIGNIN_AUDIT": "blog-signin-audit",
        "POLYREGION_BUCKET_ASSETS": "blog-assets-eu-west-1-123456789012",
        "POLYREGION_SECRET_SESSION": "blog/session-secret",
        "POLYREGION_ORIGIN_VERIFY_HEADER": "x-edge-secret",
    }
    s = settings_from_env(topology=TOPO, environ=env)
    assert s.global_table == "blog-data" and s.audit_table == "blog-signin-audit"
    assert s.bucket("eu-west-1") == "blog-assets-eu-west-1-123456789012"
    assert s.session_secret == "blog/session-secret"
    assert s.verify_header == "x-edge-secret"
    # A contract that declares no audit table means no audit; without any, the topology's.
    no_audit = {k: v for k, v in env.items() if k != "POLYREGION_TABLE_SIGNIN_AUDIT"}
    assert settings_from_env(topology=TOPO, environ=no_audit).audit_table is None
    plain = settings_from_env(topology=TOPO, environ={"POLYREGION_REGION": "eu-west-1"})
    assert plain.global_table == "polyregion-data"
    assert plain.audit_table == "polyregion-signin-audit"
    assert plain.session_secret == "polyregion/session-secret"
    assert plain.verify_header == "x-origin-verify"


def test_on_lambda_the_other_regions_buckets_follow_the_contracts_local_name() -> None:
    """The declared app's environment (examples/blog on its own topology) names this region's
    bucket only; the cover fallback read the other regions' buckets without the account suffix,
    names that do not exist."""
    env = {
        "AWS_REGION": "eu-west-1",
        "POLYREGION_BUCKET_ASSETS": "polyregion-assets-eu-west-1-123456789012",
    }
    s = settings_from_env(topology=TOPO, environ=env)
    assert s.bucket("us-east-1") == "polyregion-assets-us-east-1-123456789012"
    local = {"AWS_REGION": "eu-west-1", "POLYREGION_BUCKET_ASSETS": "polyregion-assets-eu-west-1"}
    assert settings_from_env(topology=TOPO, environ=local).bucket("us-east-1") == (
        "polyregion-assets-us-east-1"
    )


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({}, "region"),
        ({"AWS_REGION": "ap-south-1"}, "region"),
        (
            {"AWS_REGION": "eu-west-1", "POLYREGION_AWS_ENDPOINTS": "[1]"},
            "POLYREGION_AWS_ENDPOINTS",
        ),
        ({"AWS_REGION": "eu-west-1", "POLYREGION_RYW_WAIT_MS": "soon"}, "POLYREGION_RYW_WAIT_MS"),
        ({"AWS_REGION": "eu-west-1", "POLYREGION_RYW_POLL_MS": "0"}, "ryw_poll_ms"),
    ],
)
def test_bad_settings_name_the_key(env: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings_from_env(topology=TOPO, environ=env)
    assert info.value.key == key


@pytest.mark.parametrize(
    ("key", "value"),
    [("signin_user_limit", 0), ("signup_window_s", -1), ("password_scrypt_n", 3000)],
)
def test_bad_throttle_and_hash_settings_name_the_key(key: str, value: int) -> None:
    from blog.settings import AppSettings

    with pytest.raises(ConfigError) as info:
        AppSettings(topology=TOPO, region="us-east-1", **{key: value})
    assert key in str(info.value)
