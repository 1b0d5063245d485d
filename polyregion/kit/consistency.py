"""Read-your-writes across regions: a consistency token and a bounded wait with fallback.

After a write, the app puts a *consistency token* in the user's session (the write region,
the item's key and version, and when). A later read of that item that lands in another region
(Route 53 moved the user, or a failover) may find a replica that has not caught up yet. Then:

1. the local replica is polled (strongly consistent reads) for at most `wait_ms`;
2. if it is still behind, the item is read from the write region directly (locally through
   `POLYREGION_AWS_ENDPOINTS`, on AWS the real regional endpoint), with fail-fast clients,
   through a bulkhead and that region's circuit breaker (`breaker.RemoteCalls`);
3. if that region cannot answer either (or its circuit is open), `StillReplicating` is
   raised: answer 503 "retry shortly" rather than show an older version of the user's write.

Trade-off: a user who just wrote may pay up to `wait_ms` plus one cross-region round trip on
their next read in another region; everyone else pays nothing. The guarantee is per session,
not global (that would need DynamoDB multi-Region strong consistency).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, Literal, TypeVar

import anyio
import anyio.to_thread

from polyregion.errors import PolyregionError
from polyregion.kit.breaker import RemoteCalls

T = TypeVar("T")
Source = Literal["local", "local-consistent", "waited", "write-region"]
TOKEN_TTL_S = 300  # after this, replication has surely caught up (normally within a second)


@dataclass(frozen=True, slots=True)
class ConsistencyToken:
    """The user's latest write: where, which item (`key`), which version, when (epoch ms).

    `hint` is free for the app (the blog keeps the post's slug there)."""

    region: str
    key: str
    version: int
    at_ms: int
    hint: str = ""

    def to_claim(self) -> dict[str, Any]:
        return {
            "r": self.region,
            "pk": self.key,
            "v": self.version,
            "t": self.at_ms,
            "s": self.hint,
        }

    @classmethod
    def from_claim(cls, raw: object) -> ConsistencyToken | None:
        """None for anything malformed: a bad claim must never break a request."""
        if not isinstance(raw, dict):
            return None
        r, pk, v, t, s = (raw.get(k) for k in ("r", "pk", "v", "t", "s"))
        if not (isinstance(r, str) and isinstance(pk, str) and isinstance(s, str)):
            return None
        if not (isinstance(v, int) and isinstance(t, int)) or isinstance(v, bool):
            return None
        return cls(region=r, key=pk, version=v, at_ms=t, hint=s)

    def fresh(self, now_ms: int, ttl_s: float = TOKEN_TTL_S) -> bool:
        return now_ms - self.at_ms < ttl_s * 1000


class StillReplicating(PolyregionError):
    """The user's own latest write is not readable here yet and its region is unreachable."""

    def __init__(self, token: ConsistencyToken) -> None:
        self.token = token
        super().__init__(
            f"your latest change (version {token.version}, written in {token.region}) has not "
            f"reached this region yet and {token.region} is unreachable; retry in a few seconds"
        )


@dataclass(frozen=True, slots=True)
class Resolved(Generic[T]):
    item: T | None
    source: Source


async def _in_thread(fn: Callable[..., T], *args: Any) -> T:
    return await anyio.to_thread.run_sync(partial(fn, *args))


class ReadYourWrites(Generic[T]):
    """`read(region, key)`: a blocking, strongly consistent read of `key` in `region` (None if
    absent); `version(item)`: its version. Local reads run in `run` (default: a worker
    thread); reads of another region go through `remote` (its bulkhead and breakers)."""

    def __init__(
        self,
        region: str,
        read: Callable[[str, str], T | None],
        version: Callable[[T], int],
        *,
        wait_ms: int = 500,
        poll_ms: int = 50,
        remote: RemoteCalls | None = None,
        remote_read: Callable[[str, str], T | None] | None = None,
        run: Callable[..., Awaitable[Any]] = _in_thread,
        max_waiters: int = 16,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if wait_ms < 0 or poll_ms <= 0:
            raise ValueError("wait_ms must be >= 0 and poll_ms > 0")
        self.region = region
        self._read = read
        # With fail-fast clients for other regions (aws.REMOTE_CLIENT_CONFIG) when given.
        self._remote_read = remote_read or read
        self._version = version
        self.wait_s = wait_ms / 1000
        self.poll_s = poll_ms / 1000
        self.remote = remote or RemoteCalls(threads=8, failures=3, reset_s=5.0, slot_wait_s=0.8)
        self._run = run
        # Polling readers at once (a bulkhead on this region's own table): when the write
        # region stalls, every writer's next read would poll here at once; beyond this many,
        # readers skip the wait and go straight to the (bounded, breaker-guarded) remote read.
        self.max_waiters = max_waiters
        self._waiting = 0  # touched only from the event loop
        self._sleep = sleep
        self._clock = clock

    def _caught_up(self, item: T | None, token: ConsistencyToken) -> bool:
        return item is not None and self._version(item) >= token.version

    async def resolve(self, token: ConsistencyToken, seen: T | None = None) -> Resolved[T]:
        """`seen`: what an ordinary local read returned for token.key (None if nothing)."""
        if self._caught_up(seen, token):
            return Resolved(seen, "local")
        if token.region == self.region:
            # Our own region wrote it: a strongly consistent read is guaranteed to see it.
            return Resolved(await self._run(self._read, self.region, token.key), "local-consistent")
        if not self.remote.available(token.region):
            # Its circuit is open: the write region is down, so replication from it has
            # stalled too. One strong local read (it may have arrived before the outage), no
            # polling: during an outage every such reader would otherwise cost the survivor
            # wait/poll strong reads for nothing.
            item = await self._run(self._read, self.region, token.key)
            if self._caught_up(item, token):
                return Resolved(item, "waited")
            raise StillReplicating(token)
        if self._waiting < self.max_waiters:
            self._waiting += 1
            try:
                deadline = self._clock() + self.wait_s
                while self._clock() < deadline:
                    await self._sleep(min(self.poll_s, max(0.0, deadline - self._clock())))
                    item = await self._run(self._read, self.region, token.key)
                    if self._caught_up(item, token):
                        return Resolved(item, "waited")
            finally:
                self._waiting -= 1
        try:
            remote = await self.remote.run(token.region, self._remote_read, token.region, token.key)
        except Exception as exc:  # down, unreachable, too slow, or its circuit is open
            raise StillReplicating(token) from exc
        if not self._caught_up(remote, token):
            # The write region itself lost it (e.g. a failover back before it replicated).
            raise StillReplicating(token)
        return Resolved(remote, "write-region")
