from __future__ import annotations

import pytest

from polyregion.errors import ConfigError
from polyregion.kit import AppEnv, env_key

CONTRACT = {
    "HOST": "127.0.0.2",
    "PORT": "8123",
    "POLYREGION_REGION": "eu-west-1",
    "POLYREGION_REGIONS": "us-east-1,eu-west-1",
    "POLYREGION_AWS_ENDPOINTS": '{"us-east-1": "http://127.0.0.1:1", "eu-west-1": "http://127.0.0.1:2"}',
    "POLYREGION_TABLE_NOTES": "notes-notes",
    "POLYREGION_TABLE_SIGNIN_AUDIT": "notes-signin-audit",
    "POLYREGION_BUCKET_UPLOADS": "notes-uploads-eu-west-1",
    "POLYREGION_SECRET_SESSION": "notes/session-secret",
    "POLYREGION_ORIGIN_VERIFY_SECRET": "notes/origin-verify",
    "POLYREGION_SECURE_COOKIES": "0",
}


def test_the_contract_environment_is_read_whole() -> None:
    env = AppEnv.from_env(CONTRACT)
    assert (env.host, env.port, env.region) == ("127.0.0.2", 8123, "eu-west-1")
    assert env.regions == ("us-east-1", "eu-west-1") and env.other_regions == ("us-east-1",)
    assert env.endpoint("us-east-1") == "http://127.0.0.1:1"
    assert env.table("notes") == "notes-notes"
    assert env.table("signin-audit") == "notes-signin-audit"  # declared name, env key mapped
    assert env.bucket("uploads") == "notes-uploads-eu-west-1"
    assert env.session_secret == "notes/session-secret"
    assert env.origin_verify_secret == "notes/origin-verify"
    assert env.origin_verify_header == "x-origin-verify"
    assert env.secure_cookies is False


def test_explicit_arguments_beat_the_environment() -> None:
    env = AppEnv.from_env(
        CONTRACT, region="us-east-1", tables={"notes": "other"}, endpoints={}, port=0
    )
    assert env.region == "us-east-1" and env.table("notes") == "other"
    assert env.endpoint("us-east-1") is None  # real AWS
    assert env.port == 0


def test_on_lambda_the_region_comes_from_aws_region_and_endpoints_are_real_aws() -> None:
    env = AppEnv.from_env({"AWS_REGION": "ap-southeast-2"})
    assert env.region == "ap-southeast-2" and env.regions == ("ap-southeast-2",)
    assert env.endpoint("ap-southeast-2") is None
    assert env.secure_cookies is True and env.origin_verify_secret is None


@pytest.mark.parametrize(
    ("environ", "key"),
    [
        ({}, "POLYREGION_REGION"),
        ({**CONTRACT, "POLYREGION_REGION": "mars-1"}, "POLYREGION_REGION"),
        ({**CONTRACT, "PORT": "http"}, "PORT"),
        ({**CONTRACT, "POLYREGION_AWS_ENDPOINTS": "[1]"}, "POLYREGION_AWS_ENDPOINTS"),
    ],
)
def test_bad_settings_name_the_variable(environ: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        AppEnv.from_env(environ)
    assert err.value.key == key


def test_an_undeclared_table_names_the_variable_and_the_fix() -> None:
    with pytest.raises(ConfigError) as err:
        AppEnv.from_env(CONTRACT).table("photos")
    assert str(err.value) == (
        "POLYREGION_TABLE_PHOTOS is not set: declare the table 'photos' in polyregion.toml "
        "(the sandbox and the deploy set this variable), or pass it explicitly"
    )


def test_env_key() -> None:
    assert env_key("signin-audit") == "SIGNIN_AUDIT" and env_key("a.b c") == "A_B_C"
