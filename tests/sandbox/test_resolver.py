"""The edge's caching stub resolver: TTLs honoured, one query per expiry, no convoy."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

import pytest

from polyregion.sandbox.resolver import LocationResolver, ResolveError
from tests.support.clock import Clock

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeDns:
    """Answers after `delay_s`, with `ip` and `ttl`; counts the queries it was asked."""

    def __init__(self, ip: str = "127.0.1.1", ttl: int = 60, delay_s: float = 0.01) -> None:
        self.ip, self.ttl, self.delay_s = ip, ttl, delay_s
        self.asked = 0
        self.fail = False

    async def __call__(self, *_: Any, **__: Any) -> tuple[str, int]:
        self.asked += 1
        await asyncio.sleep(self.delay_s)
        if self.fail:
            raise ResolveError("no answer")
        return self.ip, self.ttl


def resolver(dns: FakeDns, clock: Clock) -> LocationResolver:
    return LocationResolver(
        "origin.example.com",
        ipaddress.IPv4Network("203.0.113.0/24"),
        "127.0.0.1",
        53,
        clock=clock,
        ask=dns,
    )


async def test_an_answer_is_cached_for_its_ttl_then_asked_again() -> None:
    dns, clock = FakeDns(ttl=5), Clock()
    r = resolver(dns, clock)
    assert (await r.resolve()).ip == "127.0.1.1"
    clock.now += 4.9
    await r.resolve()
    assert dns.asked == 1
    clock.now += 0.2
    dns.ip = "127.0.2.1"
    assert (await r.resolve()).ip == "127.0.2.1"
    assert dns.asked == 2 and r.changes == 1


async def test_an_expired_answer_is_asked_once_and_wakes_every_waiter_in_one_pass() -> None:
    """200 requests find the answer expired: one query, and all of them go on within a few
    passes of the event loop of its answer (an asyncio.Lock released them one per pass)."""
    dns, clock = FakeDns(delay_s=0.05), Clock()
    r = resolver(dns, clock)
    passes = 0
    answered_at: list[int] = []
    stop = False

    async def ticker() -> None:
        nonlocal passes
        while not stop:
            passes += 1
            await asyncio.sleep(0)

    async def viewer() -> None:
        await r.resolve()
        answered_at.append(passes)

    tick = asyncio.ensure_future(ticker())
    await asyncio.gather(*(viewer() for _ in range(200)))
    stop = True
    await tick
    assert dns.asked == 1
    assert max(answered_at) - min(answered_at) <= 2, (min(answered_at), max(answered_at))


async def test_a_failed_query_fails_its_waiters_and_the_next_request_asks_again() -> None:
    dns, clock = FakeDns(), Clock()
    r = resolver(dns, clock)
    dns.fail = True
    results = await asyncio.gather(*(r.resolve() for _ in range(5)), return_exceptions=True)
    assert all(isinstance(x, ResolveError) for x in results) and dns.asked == 1
    dns.fail = False
    assert (await r.resolve()).ip == "127.0.1.1" and dns.asked == 2


async def test_a_viewer_going_away_does_not_cancel_the_query_the_others_await() -> None:
    dns, clock = FakeDns(delay_s=0.05), Clock()
    r = resolver(dns, clock)
    leaving = asyncio.ensure_future(r.resolve())
    staying = asyncio.ensure_future(r.resolve())
    await asyncio.sleep(0.01)
    leaving.cancel()
    assert (await staying).ip == "127.0.1.1"
    assert dns.asked == 1


async def test_in_the_last_tenth_of_its_ttl_an_answer_is_used_and_asked_again_meanwhile() -> None:
    dns, clock = FakeDns(ttl=10, delay_s=0.05), Clock()
    r = resolver(dns, clock)
    await r.resolve()
    clock.now += 8.5  # not yet in the last tenth: no query
    await r.resolve()
    assert dns.asked == 1
    clock.now += 0.7
    dns.ip = "127.0.2.1"
    # Answered from the cache at once (the query takes 50 ms), the query goes on meanwhile.
    assert (await asyncio.wait_for(r.resolve(), 0.01)).ip == "127.0.1.1"
    await asyncio.sleep(0)  # the background query's first step (3.12's wait_for runs inline)
    assert dns.asked == 2
    await asyncio.sleep(0.1)
    assert r.current is not None and r.current.ip == "127.0.2.1"
    # The prefetched answer has a full TTL from when it came back.
    assert r.current.expires == clock.now + 10


async def test_a_query_cancelled_before_it_ran_does_not_poison_the_next_requests() -> None:
    dns, clock = FakeDns(), Clock()
    r = resolver(dns, clock)
    stuck = asyncio.ensure_future(r.resolve())
    await asyncio.sleep(0)  # resolve() has started the shared query, which has not run yet
    assert r._in_flight is not None
    r._in_flight.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stuck
    assert (await r.resolve()).ip == "127.0.1.1"
