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
