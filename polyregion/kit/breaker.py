"""Bulkheads and circuit breakers for the calls this region makes to *other* regions.

The read-your-writes fallback reads from the write region's endpoint. When that region hangs
(the very outage a failover is for), each such read would pin a worker thread for the boto3
timeouts and retries (seconds), and enough of them fill the shared thread pool that local work
uses: the survivor slows down because its peer is down. So cross-region calls:

- run in their own small thread limiter (a bulkhead): they can pin at most that many threads,
  and wait for a slot no longer than one call's timeout;
- use their own boto3 clients with tight timeouts and no retries (`aws.REMOTE_CLIENT_CONFIG`);
- go through a circuit breaker per remote region: after `failures` consecutive failures it
  opens and calls fail at once; after `reset_s` one trial call is let through (half-open); its
  success closes the breaker, its failure opens it again for another `reset_s`.

The breakers are hand-written (about 60 lines): the usual Python libraries (pybreaker,
circuitbreaker) are synchronous decorators that count in-thread, while these must decide on
the event loop before a thread is taken, with an injectable clock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal, TypeVar

import anyio
import anyio.to_thread

from polyregion.kit.aws import REMOTE_CLIENT_CONFIG

log = logging.getLogger("blog.breaker")
T = TypeVar("T")
State = Literal["closed", "open", "half-open"]

__all__ = ["REMOTE_CLIENT_CONFIG", "CircuitBreaker", "CircuitOpen", "RemoteCalls"]


class CircuitOpen(Exception):
    """A call to `region` was refused without trying: its breaker is open."""

    def __init__(self, region: str) -> None:
        self.region = region
        super().__init__(f"circuit to {region} is open")


class CircuitBreaker:
    """Consecutive-failure breaker for one remote region (driven from the event loop only)."""

    def __init__(
        self,
        region: str,
        *,
        failures: int,
        reset_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.region = region
        self.threshold = failures
        self.reset_s = reset_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False  # a half-open trial call is in flight

    @property
    def state(self) -> State:
        if self._opened_at is None:
            return "closed"
        if self._trial or self._clock() - self._opened_at >= self.reset_s:
            return "half-open"
        return "open"

    def allow(self) -> bool:
        """May a call go now? In half-open state only one trial call at a time."""
        state = self.state
        if state == "closed":
            return True
        if state == "half-open" and not self._trial:
            self._trial = True
            return True
        return False

    def success(self) -> None:
        if self._opened_at is not None:
            log.warning("circuit to %s closed: the region answers again", self.region)
        self._failures, self._opened_at, self._trial = 0, None, False

    def abandon(self) -> None:
        """The call was cancelled (the client went away): it proves nothing either way."""
        self._trial = False

    def failure(self) -> None:
        self._failures += 1
        if self._trial or (self._opened_at is None and self._failures >= self.threshold):
            if self._opened_at is None:
                n = self._failures
                log.warning("circuit to %s opened after %d consecutive failures", self.region, n)
            self._opened_at = self._clock()
        self._trial = False


@dataclass
class RemoteCalls:
    """Runs blocking calls to other regions: one breaker per region, one shared bulkhead."""

    threads: int
    failures: int
    reset_s: float
    slot_wait_s: float  # longest wait for a free cross-region thread
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._breakers: dict[str, CircuitBreaker] = {}
        # Made inside the running loop. `_slots` is the bulkhead (a bounded wait for a slot);
        # `_threads` has as many tokens, so it never blocks the holder of a slot, but keeps
        # these calls off the default thread limiter that local work uses.
        self._slots: anyio.CapacityLimiter | None = None
        self._threads: anyio.CapacityLimiter | None = None

    def breaker(self, region: str) -> CircuitBreaker:
        b = self._breakers.get(region)
        if b is None:
            b = self._breakers[region] = CircuitBreaker(
                region, failures=self.failures, reset_s=self.reset_s, clock=self.clock
            )
        return b

    def available(self, region: str) -> bool:
        """False while `region`'s circuit is open (a half-open one takes a trial call)."""
        return self.breaker(region).state != "open"

    def states(self) -> dict[str, State]:
        return {r: b.state for r, b in sorted(self._breakers.items())}

    async def run(self, region: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` in a cross-region thread; CircuitOpen if the breaker refuses."""
        breaker = self.breaker(region)
        if not breaker.allow():
            raise CircuitOpen(region)
        if self._slots is None or self._threads is None:
            self._slots = anyio.CapacityLimiter(self.threads)
            self._threads = anyio.CapacityLimiter(self.threads)
        slots = self._slots
        try:
            # Waiting for a slot is bounded too: a full bulkhead means the region is slow.
            with anyio.fail_after(self.slot_wait_s):
                await slots.acquire()
        except TimeoutError:
            breaker.failure()
            raise
        except BaseException:
            breaker.abandon()
            raise
        try:
            call = partial(fn, *args, **kwargs)
            result = await anyio.to_thread.run_sync(call, limiter=self._threads)
        except Exception:
            breaker.failure()
            raise
        except BaseException:
            breaker.abandon()
            raise
        finally:
            slots.release()
        breaker.success()
        return result
