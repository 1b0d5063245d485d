"""The `[aws]` section (account, hosted zone) and `dns.failover_records` the CDK stacks read."""

from __future__ import annotations

import pytest

from polyregion.errors import ConfigError
from polyregion.topology import from_dict


def test_aws_settings_default_to_none_so_synth_stays_account_agnostic() -> None:
    topo = from_dict({})
    assert topo.aws.account is None
    assert topo.aws.hosted_zone_id is None
    assert topo.dns.failover_records is False


def test_aws_settings_are_read() -> None:
    topo = from_dict(
        {
            "aws": {"account": "123456789012", "hosted_zone_id": "Z0123456789ABCDEFGHIJ"},
            "dns": {"failover_records": True},
        }
    )
    assert topo.aws.account == "123456789012"
    assert topo.aws.hosted_zone_id == "Z0123456789ABCDEFGHIJ"
    assert topo.dns.failover_records is True


@pytest.mark.parametrize(
    ("raw", "key", "hint"),
    [
        ({"aws": {"account": "1234"}}, "aws.account", "12-digit"),
        ({"aws": {"account": 123456789012}}, "aws.account", "string"),
        ({"aws": {"hosted_zone_id": "example.com"}}, "aws.hosted_zone_id", "zone id"),
        ({"aws": {"region": "us-east-1"}}, "aws.region", "unknown key"),
        ({"dns": {"failover_records": "yes"}}, "dns.failover_records", "true or false"),
    ],
)
def test_invalid_aws_settings_name_the_key(raw: dict, key: str, hint: str) -> None:
    with pytest.raises(ConfigError) as info:
        from_dict(raw)
    assert info.value.key == key
    assert hint in str(info.value)
