from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from polyregion.errors import ConfigError
from polyregion.topology import from_dict, limits, naming

LONG_NAME = "a" * 40  # the longest app.name the name rule accepts


def test_a_long_app_name_that_breaks_the_63_character_bucket_limit_is_refused() -> None:
    # 40 + "-assets-" + "ap-southeast-1" + "-" + 12 digits = 75 characters: S3 says no.
    with pytest.raises(ConfigError) as info:
        from_dict(
            {
                "app": {"name": LONG_NAME},
                "regions": [{"name": "ap-southeast-1", "role": "primary"}],
            }
        )
    assert info.value.key == "app.name"
    assert "63" in str(info.value) and "by at least 12 characters" in str(info.value)


def test_the_account_suffix_is_reserved_even_when_the_account_is_unset() -> None:
    name = "a" * 27  # 27 + 8 + 9 ("eu-west-1") = 44 alone; + 13 for "-<account>" = 57
    topo = from_dict({"app": {"name": name}, "regions": [{"name": "eu-west-1", "role": "primary"}]})
    bucket = naming.bucket(topo, "eu-west-1", limits.ACCOUNT_PLACEHOLDER, "assets")
    assert len(bucket) <= limits.BUCKET_MAX
    with pytest.raises(ConfigError, match="bucket"):
        from_dict(
            {"app": {"name": "a" * 34}, "regions": [{"name": "eu-west-1", "role": "primary"}]}
        )


def test_the_certificate_first_name_must_fit_acm_64_octets() -> None:
    domain = ("d" * 55) + ".com"  # "origin." + 59 = 66 octets
    with pytest.raises(ConfigError) as info:
        from_dict({"app": {"domain": domain}})
    assert info.value.key == "app.domain"
    assert "64" in str(info.value) and "ACM" in str(info.value)
    from_dict({"app": {"domain": ("d" * 53) + ".com"}})  # origin. + 57 = 64: accepted


@pytest.mark.parametrize(
    "header", ["x-amz-verify", "X-Amz-Date", "x-edge-secret", "x-real-ip", "X-Real-IP"]
)
def test_verify_headers_cloudfront_cannot_add_are_refused(header: str) -> None:
    with pytest.raises(ConfigError) as info:
        from_dict({"origin": {"verify_header": header.lower()}})
    assert info.value.key == "origin.verify_header"
    assert "CloudFront cannot add" in str(info.value)
    assert limits.cloudfront_refuses_header(header)


def test_ordinary_verify_headers_are_accepted() -> None:
    for header in ("x-origin-verify", "x-amzn-ok", "x-edge"):
        assert from_dict({"origin": {"verify_header": header}}).origin.verify_header == header


def test_config_check_prints_the_limit_and_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "polyregion.toml"
    config.write_text(
        f'[app]\nname = "{LONG_NAME}"\n[[regions]]\nname = "ap-southeast-1"\nrole = "primary"\n'
    )
    out = subprocess.run(
        [sys.executable, "-m", "polyregion.cli", "config", "check", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 2
    assert "app.name" in out.stderr and "63" in out.stderr and "Traceback" not in out.stderr
