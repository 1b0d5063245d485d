"""Bulkheads and circuit breakers against real processes (moto, uvicorn, a hanging proxy):
a write region that hangs must not take the survivor's health check or local work with it."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from conftest import A, AppFactory, B, FaultyProxy, signup

from polyregion.data.clients import RegionClients

pytestmark = pytest.mark.functional


def _write_in_a(c: httpx.Client, url_a: str, slug: str) -> None:
    """Sign up and write a post in A: the session now carries a consistency token for it."""
    csrf = signup(c, url_a, f"bulk-{slug}")
    r = c.post(
        f"{url_a}/api/posts",
        json={"title": "Mine", "body": "v1", "slug": slug},
        headers={"x-csrf-token": csrf},
    )
    assert r.status_code == 201, r.text


def _moto(system: dict[str, RegionClients]) -> str:
    endpoint = system[B].endpoint
    assert endpoint is not None
    return endpoint


async def _load(url: str, cookies: httpx.Cookies, workers: int, until: float) -> list[int]:
    """`workers` concurrent readers of the writer's post (each needs the fallback), bounded.

    Each pauses 1 s between reads, as a user retrying would (the 503 says `retry-after: 2`):
    a closed loop of instant 503s would only measure how fast one Python process (this
    client and the servers share it) burns CPU on a busy machine."""
    codes: list[int] = []

    async def worker(ac: httpx.AsyncClient) -> None:
        while time.monotonic() < until:
            try:
                codes.append((await ac.get(url)).status_code)
            except httpx.HTTPError:
                codes.append(-1)
            await asyncio.sleep(1.0)

    limits = httpx.Limits(max_connections=workers)
    async with httpx.AsyncClient(cookies=cookies, timeout=30, limits=limits) as ac:
        await asyncio.gather(*(worker(ac) for _ in range(workers)))
    return codes


async def _probe(url: str, path: str, until: float) -> list[tuple[int, float]]:
    out = []
    async with httpx.AsyncClient(timeout=10) as ac:
        await asyncio.sleep(0.5)  # let the load fill whatever it can fill
        while time.monotonic() < until:
            start = time.perf_counter()
            r = await ac.get(f"{url}{path}")
            out.append((r.status_code, time.perf_counter() - start))
            await asyncio.sleep(0.2)
    return out


def test_health_and_local_reads_stay_fast_while_the_write_region_hangs(
    make_app: AppFactory, faulty_moto: FaultyProxy, system: dict[str, RegionClients]
) -> None:
    """The drill's scenario: A hangs, B serves many writers whose reads need A.

    Before the bulkheads, such readers pinned every thread of the shared pool for A's
    boto3 timeouts (seconds), and B's own reads queued behind them (measured: 4 s)."""
    url_a = make_app(A)
    url_b = make_app(
        B, ryw_wait_ms=100, read_cache_s=0, endpoints={A: faulty_moto.url, B: _moto(system)}
    )
    httpx.get(f"{url_b}/api/health", timeout=10)  # warm: a cold process builds its clients
    with httpx.Client() as c:
        _write_in_a(c, url_a, "bulkhead")
        c.get(f"{url_b}/api/posts/bulkhead")  # warm B's clients for A while A still answers
        faulty_moto.set("hang")
        until = time.monotonic() + 3.0

        async def drill() -> tuple[list[int], list[tuple[int, float]], list[tuple[int, float]]]:
            return await asyncio.gather(
                _load(f"{url_b}/api/posts/bulkhead", c.cookies, 50, until),
                _probe(url_b, "/api/health", until),
                _probe(url_b, "/api/posts", until),
            )

        codes, health, local = asyncio.run(drill())
    # The writer gets the documented answer (never an older version): 503, fast.
    assert codes and set(codes) == {503}, set(codes)
    assert health and all(code == 200 for code, _ in health), health
    # Route 53 waits 2 s; the slack is for a busy machine (the load shares this process).
    assert max(t for _, t in health) < 1.5, health
    assert local and all(code == 200 for code, _ in local), local
    assert max(t for _, t in local) < 1.5, local  # before the bulkheads: 4 s


def test_the_breaker_opens_fails_fast_and_closes_when_the_region_recovers(
    make_app: AppFactory, faulty_moto: FaultyProxy, system: dict[str, RegionClients]
) -> None:
    url_a = make_app(A)
    url_b = make_app(
        B,
        ryw_wait_ms=50,
        breaker_failures=3,
        breaker_reset_s=1.0,
        endpoints={A: faulty_moto.url, B: _moto(system)},
    )
    with httpx.Client(timeout=10) as c:
        _write_in_a(c, url_a, "breaker")
        c.get(f"{url_b}/api/posts/breaker")  # warm B's clients for A while A still answers
        faulty_moto.set("hang")

        def timed_read() -> tuple[httpx.Response, float, int]:
            """The answer, its time and how many connections B opened to A for it."""
            start, before = time.perf_counter(), faulty_moto.accepted
            r = c.get(f"{url_b}/api/posts/breaker")
            return r, time.perf_counter() - start, faulty_moto.accepted - before

        # Closed: each read tries A once (no retries) and gives up at the 0.5 s read timeout.
        # The upper bound only tells it from the app's ordinary clients (2 attempts of 2 s):
        # a loaded CI machine has added up to 2 s to a read.
        for _ in range(3):
            r, took, attempts = timed_read()
            assert r.status_code == 503 and "version 1" in r.json()["error"]
            assert attempts == 1
            assert 0.5 <= took < 3.5, took
        # Open: refused without trying A (and without polling the local replica).
        r, took, attempts = timed_read()
        assert r.status_code == 503 and "version 1" in r.json()["error"]
        assert attempts == 0
        assert took < 0.4, took
        # A recovers; after the cool-down one trial read goes through and closes the breaker.
        faulty_moto.set("pass")
        time.sleep(1.1)
        r, _, _ = timed_read()
        assert r.status_code == 200, r.text
        assert r.json()["read_source"] == "write-region"
        r, took, _ = timed_read()
        assert (r.status_code, r.json()["read_source"]) == (200, "write-region")
