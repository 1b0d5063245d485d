"""The replication links: ordered queues per (source, destination) pair.

Each change waits for its injected delay, in order, and a partitioned link holds its queue
until healed; the backlog then drains in order. A change that fails (the destination is down)
is retried with backoff, blocking its lane as a real replication channel would.

A lane applies every change that is due in one request (replica_writes.py), so a backlog drains
in batches of up to MAX_BATCH. A pair has a few lanes, each a queue with its own thread, and an
item always takes the same lane (by key hash): changes to one item stay in order, while one
slow batch does not hold up every other item.
"""

from __future__ import annotations

import random
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import islice, takewhile

from polyregion.replication.lag import PairLag
from polyregion.replication.table import Change

MAX_BATCH = 500


@dataclass
class Queued:
    change: Change
    due: float  # monotonic time at which the destination may see it
    ticket: tuple[str, str, int]  # (stream ARN, shard, progress ticket) for the checkpoint


class Partitions:
    """Which region pairs cannot talk (both directions)."""

    def __init__(self) -> None:
        self._pairs: set[frozenset[str]] = set()
        self._lock = threading.Lock()
        self.changed = threading.Condition(self._lock)

    def cut(self, a: str, b: str) -> None:
        with self._lock:
            self._pairs.add(frozenset((a, b)))
            self.changed.notify_all()

    def heal(self, a: str | None = None, b: str | None = None) -> None:
        with self._lock:
            if a is None or b is None:
                self._pairs.clear()
            else:
                self._pairs.discard(frozenset((a, b)))
            self.changed.notify_all()

    def blocked(self, a: str, b: str) -> bool:
        with self._lock:
            return frozenset((a, b)) in self._pairs

    def pairs(self) -> list[list[str]]:
        with self._lock:
            return sorted(sorted(p) for p in self._pairs)


@dataclass
class Link:
    source: str
    destination: str
    lag: PairLag
    apply: Callable[[str, Sequence[Change]], list[bool]]  # (destination, batch) -> applied?
    done: Callable[[tuple[str, str, int]], None]
    partitions: Partitions
    delay_ms: Callable[[], float]
    on_error: Callable[[str], None]
    clock: Callable[[], float] = time.monotonic
    wall_ms: Callable[[], float] = field(default=lambda: time.time() * 1000)
    sleep: Callable[[float], object] = time.sleep  # the backoff after a failed apply
    queue: deque[Queued] = field(default_factory=deque)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _stop: bool = False
    _last_due: float = 0.0

    def put(self, change: Change, ticket: tuple[str, str, int]) -> None:
        with self._cond:
            due = max(self.clock() + self.delay_ms() / 1000.0, self._last_due)
            self._last_due = due
            self.queue.append(Queued(change, due, ticket))
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def run(self) -> None:
        backoff = 0.05
        while True:
            with self._cond:
                while not self._stop:
                    if self.queue and not self.partitions.blocked(self.source, self.destination):
                        wait = self.queue[0].due - self.clock()
                        if wait <= 0:
                            break
                        self._cond.wait(wait)
                    else:
                        self._cond.wait(0.5)
                if self._stop:
                    return
                batch = self._due(self.clock())
            try:
                applied = self.apply(self.destination, [q.change for q in batch])
            except Exception as exc:  # the destination is down or slow: retry, in order
                self.on_error(f"{self.source}->{self.destination}: {type(exc).__name__}: {exc}")
                self.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            backoff = 0.05
            now_ms = self.wall_ms()
            for q, ok in zip(batch, applied, strict=True):
                self.lag.observe(now_ms - q.change.since_ms, applied=ok)
            with self._cond:  # only this thread pops: the batch is still the queue's head
                for _ in batch:
                    self.queue.popleft()
            for q in batch:
                self.done(q.ticket)

    def _due(self, now: float) -> list[Queued]:
        return list(islice(takewhile(lambda q: q.due <= now, self.queue), MAX_BATCH))


class LinkGroup:
    """The lanes of one ordered pair."""

    def __init__(self, lanes: list[Link]) -> None:
        self.lanes = lanes
        self.lag = lanes[0].lag  # shared by every lane (thread-safe)

    def put(self, change: Change, ticket: tuple[str, str, int]) -> None:
        lane = zlib.crc32(change.key_id.encode()) % len(self.lanes)
        self.lanes[lane].put(change, ticket)

    @property
    def backlog(self) -> int:
        return sum(len(lane.queue) for lane in self.lanes)

    def to_json(self) -> dict[str, object]:
        return {**self.lag.to_json(), "backlog": self.backlog}

    def wake(self) -> None:
        for lane in self.lanes:
            lane.wake()

    def stop(self) -> None:
        for lane in self.lanes:
            lane.stop()


def jittered(base_ms: float, jitter_ms: float, rng: random.Random) -> Callable[[], float]:
    return lambda: base_ms + (rng.uniform(0, jitter_ms) if jitter_ms else 0.0)
