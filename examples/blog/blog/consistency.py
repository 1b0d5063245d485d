"""Read-your-writes across regions, beyond the article's local strong read.

After a write, the session carries a signed *consistency token*: the write region, the item's
pk and version, and when. A later request that lands in another region (Route 53 moved the
user, or a failover) may find a replica that has not caught up yet. Then we:

1. poll the local replica (strongly consistent reads) for at most `ryw_wait_ms`;
2. if it is still behind, read the item from the write region's endpoint directly (tight
   timeouts, its own bulkhead and circuit breaker: `breaker.py`);
3. if that region cannot answer either (or its circuit is open), refuse (503 "still
   replicating") rather than show the user an older version of their own write.

Trade-off: a user who just wrote may pay up to `ryw_wait_ms` plus one cross-region round trip
on their next read in another region; everyone else, and the same user in the write region,
pays nothing. Other users may still see the older version until replication completes: the
guarantee is per session, not global (that would need DynamoDB MRSC).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import anyio

from polyregion.data.posts import Post, PostStore
from polyregion.errors import PolyregionError

Source = Literal["local", "local-consistent", "waited", "write-region"]


class StillReplicating(PolyregionError):
    """The user's own latest write is not readable here yet and its region is unreachable."""

    def __init__(self, token: ConsistencyToken) -> None:
        self.token = token
        super().__init__(
            f"your latest change (version {token.version}, written in {token.region}) has not "
            f"reached this region yet and {token.region} is unreachable; retry in a few seconds"
        )


@dataclass(frozen=True, slots=True)
class ConsistencyToken:
    region: str
    pk: str
    version: int
    at_ms: int
    slug: str

    def to_claim(self) -> dict[str, Any]:
        return {"r": self.region, "pk": self.pk, "v": self.version, "t": self.at_ms, "s": self.slug}

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
        return cls(region=r, pk=pk, version=v, at_ms=t, slug=s)

    @classmethod
    def for_post(cls, post: Post) -> ConsistencyToken:
        return cls(post.updated_region, post.pk, post.version, post.updated_at, post.slug)

    def fresh(self, now_ms: int, ttl_s: float) -> bool:
        return now_ms - self.at_ms < ttl_s * 1000


@dataclass(frozen=True, slots=True)
class Resolved:
    post: Post | None
    source: Source


class ReadYourWrites:
    def __init__(
        self,
        region: str,
        posts_in: Callable[[str], PostStore],
        *,
        wait_ms: int,
        poll_ms: int,
        run: Callable[..., Awaitable[Any]],
        remote_run: Callable[..., Awaitable[Any]] | None = None,
        remote_posts_in: Callable[[str], PostStore] | None = None,
        remote_available: Callable[[str], bool] = lambda _region: True,
        max_waiters: int = 1_000_000,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.region = region
        self.posts_in = posts_in
        self.wait_s = wait_ms / 1000
        self.poll_s = poll_ms / 1000
        self._run = run  # runs a blocking call in a worker thread
        # remote_run(region, fn, *args): a call to another region, through its bulkhead and
        # circuit breaker (breaker.RemoteCalls.run), with that region's fail-fast clients.
        self._remote_run = remote_run or (lambda _region, fn, *a, **kw: run(fn, *a, **kw))
        self.remote_posts_in = remote_posts_in or posts_in
        self._remote_available = remote_available
        # Polling readers at once (a bulkhead on this region's own store): when the write
        # region stalls, every writer's next read would poll here at once; beyond this many,
        # readers skip the wait and go straight to the (bounded, breaker-guarded) remote read.
        self.max_waiters = max_waiters
        self._waiting = 0  # touched only from the event loop
        self._sleep = sleep
        self._clock = clock

    def _read_remote(self, token: ConsistencyToken) -> Post | None:
        # In the worker thread: the first call builds that region's boto3 client (loading
        # service models takes hundreds of ms), which must never run on the event loop.
        return self.remote_posts_in(token.region).get(token.pk, consistent=True)

    async def resolve(self, token: ConsistencyToken, seen: Post | None) -> Resolved:
        """`seen` is what an ordinary local read returned for token.pk (None if nothing)."""
        if seen is not None and seen.version >= token.version:
            return Resolved(seen, "local")
        local = self.posts_in(self.region)
        if token.region == self.region:
            # Our own region wrote it: a strongly consistent read is guaranteed to see it.
            return Resolved(
                await self._run(local.get, token.pk, consistent=True), "local-consistent"
            )
        if not self._remote_available(token.region):
            # Its circuit is open: the write region is down, so replication from it has
            # stalled too. One strong local read (it may have arrived before the outage), no
            # polling: during an outage every such reader would otherwise cost the survivor
            # ryw_wait/ryw_poll strong reads for nothing.
            post = await self._run(local.get, token.pk, consistent=True)
            if post is not None and post.version >= token.version:
                return Resolved(post, "waited")
            raise StillReplicating(token)
        if self._waiting < self.max_waiters:
            self._waiting += 1
            try:
                deadline = self._clock() + self.wait_s
                while self._clock() < deadline:
                    await self._sleep(min(self.poll_s, max(0.0, deadline - self._clock())))
                    post = await self._run(local.get, token.pk, consistent=True)
                    if post is not None and post.version >= token.version:
                        return Resolved(post, "waited")
            finally:
                self._waiting -= 1
        try:
            remote = await self._remote_run(token.region, self._read_remote, token)
        except Exception as exc:  # down, unreachable, too slow, or its circuit is open
            raise StillReplicating(token) from exc
        if remote is None or remote.version < token.version:
            # The write region itself lost it (e.g. a failover back before it replicated).
            raise StillReplicating(token)
        return Resolved(remote, "write-region")
