from __future__ import annotations

from typing import Any

import pytest

from polyregion.kit.keys import UNKNOWN_KID_REFRESH_S, SecretKeyProvider
from tests.support.clock import Clock


class NotFound(Exception):
    pass


class FakeSecretsManager:
    """Versions by stage, as Secrets Manager keeps them; `down` makes every call fail."""

    class exceptions:
        ResourceNotFoundException = NotFound

    def __init__(self) -> None:
        self.stages: dict[str, tuple[str, str]] = {"AWSCURRENT": ("v1", "one")}
        self.calls = 0
        self.down = False

    def rotate(self, version: str, value: str) -> None:
        self.stages = {"AWSCURRENT": (version, value), "AWSPREVIOUS": self.stages["AWSCURRENT"]}

    def get_secret_value(self, SecretId: str, VersionStage: str) -> dict[str, Any]:
        self.calls += 1
        if self.down:
            raise ConnectionError("secrets manager unreachable")
        if VersionStage not in self.stages:
            raise NotFound(VersionStage)
        version, value = self.stages[VersionStage]
        return {"VersionId": version, "SecretString": value}


def provider(sm: FakeSecretsManager, clock: Clock) -> SecretKeyProvider:
    return SecretKeyProvider(lambda: sm, "app/session-secret", max_age_s=300, clock=clock)  # type: ignore[arg-type,return-value]


def test_keys_are_cached_for_max_age_then_refreshed_with_both_stages() -> None:
    sm, clock = FakeSecretsManager(), Clock(100.0)
    p = provider(sm, clock)
    keys = p.get()
    assert (keys.current.version_id, keys.previous) == ("v1", None)
    assert p.get() is keys and sm.calls == 2  # AWSCURRENT + AWSPREVIOUS, once
    sm.rotate("v2", "two")
    clock.now += 301
    assert p.cached() is None
    keys = p.get()
    assert keys.current.version_id == "v2"
    assert keys.previous is not None and keys.previous.version_id == "v1"


def test_stale_keys_keep_serving_when_secrets_manager_is_down() -> None:
    sm, clock = FakeSecretsManager(), Clock(100.0)
    p = provider(sm, clock)
    first = p.get()
    sm.down = True
    clock.now += 1000
    assert p.get() is first
    with pytest.raises(ConnectionError):
        p.refresh()  # the health check sees the outage


def test_unknown_key_id_refreshes_but_not_more_often_than_the_floor() -> None:
    sm, clock = FakeSecretsManager(), Clock(100.0)
    p = provider(sm, clock)
    p.get()
    sm.rotate("v2", "two")
    clock.now += 1
    assert p.refresh_for_unknown("v2").find("v2") is None  # fetched 1 s ago: not again yet
    clock.now += UNKNOWN_KID_REFRESH_S
    assert p.refresh_for_unknown("v2").find("v2") is not None
    calls = sm.calls
    p.refresh_for_unknown("junk")
    assert sm.calls == calls  # junk key ids cannot make us hammer Secrets Manager
