from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from polyregion.kit.consistency import ConsistencyToken, ReadYourWrites, StillReplicating


@dataclass(frozen=True)
class Post:
    """Any item with a version: the kit needs nothing else from the app's data."""

    pk: str
    version: int


def post(version: int) -> Post:
    return Post("post#1", version)


class FakeStore:
    """Stands in for PostStore.get: returns what the test says the replica holds."""

    def __init__(self, holding: Callable[[], Post | None] | None = None, down: bool = False):
        self.holding = holding or (lambda: None)
        self.down = down
        self.reads: list[bool] = []

    def get(self, pk: str, *, consistent: bool = False) -> Post | None:
        if self.down:
            raise ConnectionError("region down")
        self.reads.append(consistent)
        return self.holding()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, s: float) -> None:
        self.now += s


async def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return fn(*args, **kwargs)


def ryw(
    stores: dict[str, FakeStore], clock: Clock, region: str = "eu-west-1"
) -> ReadYourWrites[Post]:
    return ReadYourWrites(
        region,
        lambda r, key: stores[r].get(key, consistent=True),
        lambda p: p.version,
        wait_ms=500,
        poll_ms=50,
        run=run,
        sleep=clock.sleep,
        clock=clock,
    )


TOKEN = ConsistencyToken("us-east-1", "post#1", 2, 0, "hello")


def test_up_to_date_replica_costs_nothing() -> None:
    stores = {"eu-west-1": FakeStore(), "us-east-1": FakeStore()}
    out = asyncio.run(ryw(stores, Clock()).resolve(TOKEN, post(3)))
    assert (out.source, out.item and out.item.version) == ("local", 3)
    assert stores["eu-west-1"].reads == [] and stores["us-east-1"].reads == []


def test_replica_catching_up_during_the_wait_is_served_locally() -> None:
    clock = Clock()
    local = FakeStore(lambda: post(2) if clock.now >= 0.2 else post(1))
    remote = FakeStore()
    out = asyncio.run(ryw({"eu-west-1": local, "us-east-1": remote}, clock).resolve(TOKEN, post(1)))
    assert out.source == "waited"
    assert out.item is not None and out.item.version == 2
    assert remote.reads == []
    assert clock.now <= 0.5


def test_lagging_replica_falls_back_to_the_write_region_after_a_bounded_wait() -> None:
    clock = Clock()
    local = FakeStore(lambda: post(1))
    remote = FakeStore(lambda: post(2))
    out = asyncio.run(ryw({"eu-west-1": local, "us-east-1": remote}, clock).resolve(TOKEN, None))
    assert out.source == "write-region"
    assert out.item is not None and out.item.version == 2
    assert remote.reads == [True]  # strongly consistent in the region that wrote it
    assert clock.now == pytest.approx(0.5)


def test_never_an_older_version_when_the_write_region_is_down() -> None:
    clock = Clock()
    stores = {"eu-west-1": FakeStore(lambda: post(1)), "us-east-1": FakeStore(down=True)}
    with pytest.raises(StillReplicating, match=r"version 2, written in us-east-1"):
        asyncio.run(ryw(stores, clock).resolve(TOKEN, post(1)))


def test_own_region_write_uses_a_strong_local_read() -> None:
    local = FakeStore(lambda: post(2))
    token = ConsistencyToken("eu-west-1", "post#1", 2, 0, "hello")
    out = asyncio.run(ryw({"eu-west-1": local}, Clock()).resolve(token, post(1)))
    assert out.source == "local-consistent"
    assert local.reads == [True]


def test_token_claim_roundtrip_and_garbage() -> None:
    assert ConsistencyToken.from_claim(TOKEN.to_claim()) == TOKEN
    for junk in (
        None,
        [],
        "x",
        {"r": "a"},
        {**TOKEN.to_claim(), "v": "2"},
        {**TOKEN.to_claim(), "v": True},
    ):
        assert ConsistencyToken.from_claim(junk) is None
    assert TOKEN.fresh(now_ms=1000, ttl_s=300)
    assert not TOKEN.fresh(now_ms=400_000, ttl_s=300)
