from __future__ import annotations

import pytest

from polyregion.errors import ConfigError
from polyregion.topology.lambda_settings import LambdaSettings, parse_lambda


def test_defaults_run_a_command_behind_the_web_adapter_on_arm64() -> None:
    s = parse_lambda(None)
    assert s == LambdaSettings()
    assert s.web_adapter and s.architecture == "arm64" and s.language == "python"


def test_a_full_table() -> None:
    s = parse_lambda(
        {
            "runtime": "nodejs22.x",
            "code": "web",
            "exclude": ["tests", "*.md"],
            "memory_mb": 2048,
            "timeout_s": 20,
            "architecture": "x86_64",
        }
    )
    assert s.language == "node" and s.code == "web" and s.exclude == ("tests", "*.md")
    assert parse_lambda({"handler": "app.main:app"}).handler == "app.main:app"
    assert parse_lambda({"runtime": "python3.14"}).python_version == "3.14"
    assert not parse_lambda(None).cross_region_reads
    assert parse_lambda({"cross_region_reads": True}).cross_region_reads


@pytest.mark.parametrize(
    ("raw", "key", "hint"),
    [
        ({"runtim": "python3.13"}, "app.lambda.runtim", "known: runtime"),
        ({"runtime": "python2.7"}, "app.lambda.runtime", "python3.13"),
        ({"memory_mb": 64}, "app.lambda.memory_mb", "128..10240"),
        ({"timeout_s": 60}, "app.lambda.timeout_s", "30 s at most"),
        ({"architecture": "arm"}, "app.lambda.architecture", "arm64 or x86_64"),
        ({"handler": "app"}, "app.lambda.handler", "module:attribute"),
        ({"runtime": "nodejs22.x", "handler": "a:b"}, "app.lambda.handler", "Web Adapter"),
        ({"code": "/abs"}, "app.lambda.code", "relative"),
        ({"exclude": "tests"}, "app.lambda.exclude", "list of glob"),
        ({"cross_region_reads": "yes"}, "app.lambda.cross_region_reads", "true or false"),
    ],
)
def test_bad_values_name_the_key_and_the_fix(raw: dict[str, object], key: str, hint: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_lambda(raw)
    assert info.value.key == key and hint in str(info.value)
