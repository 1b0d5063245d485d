"""The edge's cache, with CloudFront's CachingOptimized semantics for static assets.

TTL: the origin's `s-maxage`, else `max-age`, clamped to the policy's [min, max]; without
either, the policy's default TTL (1 day). `no-store`, `no-cache` and `private` are honoured only
down to the minimum TTL (CloudFront caches for min TTL when it is above 0, and it is 1 s here).
Only GET/HEAD responses are cached; the cache key is the path plus the normalised
Accept-Encoding (CachingOptimized keeps no cookies, query strings or other headers).
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

CACHEABLE_STATUS: Final = frozenset({200, 203, 300, 301, 404, 410})


@dataclass(frozen=True, slots=True)
class CachePolicy:
    """A managed cache policy's TTLs (seconds)."""

    min_ttl: float = 1.0
    default_ttl: float = 86_400.0
    max_ttl: float = 31_536_000.0


CACHING_OPTIMIZED: Final = CachePolicy()

_DIRECTIVE = re.compile(r"([a-z-]+)\s*(?:=\s*\"?(\d+)\"?)?")


def ttl_for(cache_control: str | None, policy: CachePolicy = CACHING_OPTIMIZED) -> float:
    """How long CloudFront keeps a response, given the origin's Cache-Control header."""
    directives: dict[str, str | None] = {}
    for m in _DIRECTIVE.finditer((cache_control or "").lower()):
        directives[m.group(1)] = m.group(2)
    if {"no-store", "no-cache", "private"} & directives.keys():
        return policy.min_ttl
    for name in ("s-maxage", "max-age"):
        if (value := directives.get(name)) is not None:
            return min(max(float(value), policy.min_ttl), policy.max_ttl)
    return policy.default_ttl


def normalise_encoding(accept_encoding: str | None) -> str:
    """CloudFront normalises Accept-Encoding to gzip / br (or nothing) in the cache key."""
    value = (accept_encoding or "").lower()
    parts = [enc for enc in ("br", "gzip") if enc in value]
    return ",".join(parts)


@dataclass(slots=True)
class Entry:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    stored_at: float  # monotonic
    ttl: float

    def age(self, now: float) -> int:
        return int(now - self.stored_at)


class EdgeCache:
    """An LRU of responses bounded in bytes; expired entries are dropped when looked up."""

    def __init__(
        self, max_bytes: int = 64 * 1024 * 1024, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_bytes = max_bytes
        self.clock = clock
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        if self.clock() - entry.stored_at >= entry.ttl:
            self._drop(key)
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def put(
        self, key: str, status: int, headers: list[tuple[str, str]], body: bytes, ttl: float
    ) -> None:
        if status not in CACHEABLE_STATUS or ttl <= 0 or len(body) > self.max_bytes // 4:
            return
        self._drop(key)
        self._entries[key] = Entry(status, headers, body, self.clock(), ttl)
        self._bytes += len(body)
        while self._bytes > self.max_bytes and self._entries:
            self._drop(next(iter(self._entries)))

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry.body)
