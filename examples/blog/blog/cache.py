"""A tiny in-process read cache for the post list and post pages.

Most readers do not need a fresher view than a second ago, and a cached page costs no
DynamoDB read at all. Entries expire after `read_cache_s`; local writes invalidate them; a
user's own recent write bypasses the cache entirely (read-your-writes, consistency.py).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class TTLCache(Generic[V]):
    def __init__(
        self, ttl_s: float, max_entries: int = 1024, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._clock = clock
        self._data: OrderedDict[str, tuple[float, V]] = OrderedDict()
        self._inflight: dict[str, asyncio.Future[V]] = {}

    def get(self, key: str) -> tuple[bool, V | None]:
        """(hit, value): a cached miss (None) is a hit too, so unknown slugs stay cheap."""
        entry = self._data.get(key)
        if entry is None:
            return False, None
        expires, value = entry
        if self._clock() >= expires:
            self._data.pop(key, None)
            return False, None
        return True, value

    def put(self, key: str, value: V) -> None:
        if self.ttl_s <= 0:
            return
        self._data[key] = (self._clock() + self.ttl_s, value)
        self._data.move_to_end(key)
        while len(self._data) > self.max_entries:
            self._data.popitem(last=False)

    def clear(self) -> None:
        self._data.clear()

    async def get_or_fetch(self, key: str, fetch: Callable[[], Awaitable[V]]) -> tuple[V, bool]:
        """(value, was cached). Concurrent misses of one key share a single fetch: when the
        entry expires under load, the store sees one read, not one per waiting request."""
        hit, value = self.get(key)
        if hit:
            return value, True  # type: ignore[return-value]
        future = self._inflight.get(key)
        if future is None or future.get_loop() is not asyncio.get_running_loop():
            future = self._inflight[key] = asyncio.ensure_future(self._fill(key, fetch))
        return await asyncio.shield(future), False

    async def _fill(self, key: str, fetch: Callable[[], Awaitable[V]]) -> V:
        try:
            value = await fetch()
            self.put(key, value)
            return value
        finally:
            self._inflight.pop(key, None)
