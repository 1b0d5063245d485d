from __future__ import annotations

from polyregion.app.cache import TTLCache


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
