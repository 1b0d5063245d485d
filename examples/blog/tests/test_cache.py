from __future__ import annotations

from blog.cache import TTLCache


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_and_misses_are_cached_too() -> None:
    clock = Clock()
    cache: TTLCache[str | None] = TTLCache(1.0, clock=clock)
    cache.put("a", "x")
    cache.put("missing", None)
    assert cache.get("a") == (True, "x")
    assert cache.get("missing") == (True, None)
    clock.now = 1.0
    assert cache.get("a") == (False, None)


def test_bounded_and_disabled() -> None:
    cache: TTLCache[int] = TTLCache(10, max_entries=2)
    for i in range(3):
        cache.put(str(i), i)
    assert cache.get("0") == (False, None)
    off: TTLCache[int] = TTLCache(0)
    off.put("a", 1)
    assert off.get("a") == (False, None)


def test_concurrent_misses_share_one_fetch() -> None:
    import asyncio

    cache: TTLCache[int] = TTLCache(10)
    calls = 0

    async def fetch() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return 42

    async def storm() -> list[tuple[int, bool]]:
        return await asyncio.gather(*(cache.get_or_fetch("k", fetch) for _ in range(20)))

    results = asyncio.run(storm())
    assert calls == 1
    assert {v for v, _ in results} == {42}
    assert asyncio.run(cache.get_or_fetch("k", fetch)) == (42, True)


def test_a_stale_entry_is_served_while_one_background_fetch_refreshes_it() -> None:
    """Stale-while-revalidate (issue 15, speed): expiry never makes a reader wait."""
    import asyncio

    clock = Clock()
    cache: TTLCache[int] = TTLCache(1.0, clock=clock)
    calls = 0
    release = asyncio.Event()

    async def fetch() -> int:
        nonlocal calls
        calls += 1
        await release.wait()
        return calls

    async def scenario() -> None:
        cache.put("k", 0)
        clock.now = 1.5  # expired, inside the stale window
        started = asyncio.get_running_loop().time()
        got = await asyncio.gather(*(cache.get_or_fetch("k", fetch) for _ in range(10)))
        assert asyncio.get_running_loop().time() - started < 0.05  # nobody waited
        assert got == [(0, True)] * 10
        await asyncio.sleep(0)
        assert calls == 1  # one refresh for all of them
        release.set()
        await asyncio.sleep(0.01)
        assert cache.get("k") == (True, 1)
        clock.now = 5.0  # past ttl + stale: fetched on the request path again
        assert await cache.get_or_fetch("k", fetch) == (2, False)

    asyncio.run(scenario())


def test_lookup_hands_the_refresh_to_one_caller_at_a_time() -> None:
    clock = Clock()
    cache: TTLCache[str] = TTLCache(1.0, clock=clock)
    cache.put("/", "old")
    assert cache.lookup("/") == (True, "old", False)
    clock.now = 1.2
    assert cache.lookup("/") == (True, "old", True)  # this caller renders
    assert cache.lookup("/") == (True, "old", False)  # the others get the stale page
    assert cache.get("/") == (False, None)  # the renderer's own check misses, so it renders
    clock.now = 2.3  # the renderer never put: after ttl_s another caller may try
    assert cache.lookup("/") == (False, None, False)  # ... unless the stale window is over
    cache.put("/", "new")
    assert cache.lookup("/") == (True, "new", False)
