from __future__ import annotations

from pathlib import Path

import pytest

from polyregion.errors import ConfigError
from polyregion.topology import Role, Scope, from_dict, load
from polyregion.topology.latency import regions_by_latency


def test_defaults_describe_two_regions_primary_us_east_1() -> None:
    topo = load(None) if not Path("polyregion.toml").exists() else from_dict({})
    assert topo.region_names == ("us-east-1", "eu-west-1")
    assert topo.primary.name == "us-east-1"
    assert topo.region("eu-west-1").role is Role.SECONDARY
    assert {t.name for t in topo.regional_tables} == {"signin-audit"}
    assert [t.name for t in topo.global_tables] == ["data"]
    assert all(t.scope is Scope.GLOBAL for t in topo.global_tables)
    assert topo.origin_hostname == "origin.example.com"


def test_latency_routes_each_default_location_to_its_nearest_region() -> None:
    topo = from_dict({})
    assert regions_by_latency(topo, "new-york")[0] == "us-east-1"
    assert regions_by_latency(topo, "paris")[0] == "eu-west-1"


def test_latency_override_wins_over_distance() -> None:
    topo = from_dict({"latency": {"paris->us-east-1": 1}})
    assert regions_by_latency(topo, "paris")[0] == "us-east-1"


def test_third_region_is_supported() -> None:
    topo = from_dict(
        {
            "regions": [
                {"name": "us-east-1", "role": "primary"},
                {"name": "eu-west-1"},
                {"name": "ap-southeast-1"},
            ]
        }
    )
    assert len(topo.secondaries) == 2


@pytest.mark.parametrize(
    ("raw", "key", "hint"),
    [
        ({"health": {"interval_s": 15}}, "health.interval_s", "10 or 30"),
        ({"origin": {"throttle_rate": 0}}, "origin.throttle_rate", "above 0"),
        ({"origin": {"throttle_burst": 6000}}, "origin.throttle_burst", "1..5000"),
        ({"origin": {"throttle_rate": 300}}, "origin.throttle_burst", "at least origin.thr"),
        ({"origin": {"verify_header": "Origin"}}, "origin.verify_header", "starting with x-"),
        ({"origin": {"throttle_burst": "lots"}}, "origin.throttle_burst", "whole number"),
        ({"health": {"failure_threshold": 0}}, "health.failure_threshold", "1..10"),
        ({"health": {"failure_threshold": 11}}, "health.failure_threshold", "1..10"),
        (
            {"health": {"checker_regions": ["us-east-1", "eu-west-1"]}},
            "health.checker_regions",
            "at least 3",
        ),
        (
            {"health": {"checker_regions": ["us-east-1", "eu-west-1", "eu-central-1"]}},
            "health.checker_regions",
            "Route 53 checks only from",
        ),
        ({"health": {"interval_s": "30"}}, "health.interval_s", "whole number"),
        ({"health": {"bogus": 1}}, "health.bogus", "unknown key"),
        (
            {
                "regions": [
                    {"name": "us-east-1", "role": "primary"},
                    {"name": "eu-west-1", "role": "primary"},
                ]
            },
            "regions[].role",
            "exactly one",
        ),
        ({"regions": [{"name": "mars-1", "role": "primary"}]}, "regions[0].name", "AWS region"),
        (
            {"regions": [{"name": "us-east-1", "role": "boss"}]},
            "regions[0].role",
            "primary, secondary",
        ),
        (
            {"locations": [{"name": "home", "lat": 1, "lon": 1, "subnet": "10.0.0.0/24"}]},
            "locations[0].subnet",
            "documentation range",
        ),
        ({"app": {"consistency": "strong"}}, "app.consistency", "exactly 3 regions"),
        ({"app": {"name": "Bad_Name"}}, "app.name", "lowercase"),
        ({"traffic": {"cache_hit_ratio": 1.5}}, "traffic.cache_hit_ratio", "0 to 1"),
        ({"nonsense": {}}, "nonsense", "unknown section"),
        # Cached keys outlive a rotation: an unbounded cache would never revoke a leaked key.
        ({"session": {"secret_cache_s": 86_400}}, "session.secret_cache_s", "0..3600"),
        ({"session": {"secret_cache_s": -1}}, "session.secret_cache_s", "0..3600"),
    ],
)
def test_invalid_values_name_the_key_and_what_is_allowed(raw: dict, key: str, hint: str) -> None:
    with pytest.raises(ConfigError) as info:
        from_dict(raw)
    assert info.value.key == key
    assert hint in str(info.value)


def test_strong_consistency_is_refused_for_the_bundled_blog_and_its_transactions() -> None:
    """Defect 7: three regions of one set are valid MRSC, but the blog's post creation is a
    TransactWriteItems, which MRSC tables do not support: config check says so, not deploy."""
    with pytest.raises(ConfigError) as info:
        from_dict(
            {
                "app": {"consistency": "strong"},
                "regions": [
                    {"name": "us-east-1", "role": "primary"},
                    {"name": "us-east-2"},
                    {"name": "us-west-2"},
                ],
            }
        )
    assert info.value.key == "app.consistency"
    assert "TransactWriteItems" in str(info.value) and "eventual" in str(info.value)


def test_file_errors_are_config_errors(tmp_path: Path) -> None:
    bad = tmp_path / "polyregion.toml"
    bad.write_text("[health\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(bad)
    with pytest.raises(ConfigError, match="no such file"):
        load(tmp_path / "missing.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe garbage")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load(binary)
    with pytest.raises(ConfigError, match="a directory"):
        load(tmp_path)


def test_a_missing_file_from_the_environment_says_which_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLYREGION_CONFIG", str(tmp_path / "gone.toml"))
    with pytest.raises(ConfigError, match=r"unset \$POLYREGION_CONFIG"):
        load(None)


@pytest.mark.parametrize(
    ("raw", "suggestion"),
    [
        ({"healht": {}}, "did you mean health?"),
        ({"health": {"intervall_s": 30}}, "did you mean interval_s?"),
        ({"regions": [{"nam": "us-east-1"}]}, "did you mean name?"),
        ({"app": {"domian": "example.org"}}, "did you mean domain?"),
    ],
)
def test_an_unknown_key_suggests_the_nearest_known_one(raw: dict, suggestion: str) -> None:
    with pytest.raises(ConfigError, match=suggestion.replace("?", r"\?")):
        from_dict(raw)


def test_topology_is_frozen() -> None:
    topo = from_dict({})
    with pytest.raises(AttributeError):
        topo.name = "other"  # type: ignore[misc]
