"""The sandbox's event log: faults, health flips, DNS changes, drill events, with times.

Sequence numbers let pollers (`GET /events?since=SEQ`) resume without missing or repeating an
event; the log is bounded so a long-running sandbox does not grow without limit.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

MAX_EVENTS: Final = 5000

# Kinds the sandbox itself emits (drills and others may post their own kinds).
KINDS: Final = frozenset(
    {
        "sandbox",  # started, healthy, stopping
        "fault",  # kill, revive, dependency, partition, heal
        "process",  # a child process exited unexpectedly
        "health",  # a region's overall health flipped (or one checker's view)
        "dns",  # the DNS answer for a location changed
        "edge",  # an edge started using a different origin address
        "route53",  # a health check's configuration changed (Disabled, Inverted...)
        "replication",
        "drill",
    }
)


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    time: float  # epoch seconds
    kind: str
    detail: dict[str, Any] = field(default_factory=dict)
    region: str | None = None
    location: str | None = None
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": self.time,
            "kind": self.kind,
            "region": self.region,
            "location": self.location,
            "message": self.message,
            "detail": self.detail,
        }


class EventLog:
    def __init__(self, clock: Callable[[], float] = time.time, maxlen: int = MAX_EVENTS) -> None:
        self._clock = clock
        self._events: deque[Event] = deque(maxlen=maxlen)
        self._seq = 0
        self._listeners: list[Callable[[Event], None]] = []

    def emit(
        self,
        kind: str,
        message: str = "",
        *,
        region: str | None = None,
        location: str | None = None,
        **detail: Any,
    ) -> Event:
        self._seq += 1
        event = Event(self._seq, self._clock(), kind, detail, region, location, message)
        self._events.append(event)
        for listener in self._listeners:
            listener(event)
        return event

    def subscribe(self, listener: Callable[[Event], None]) -> None:
        """Called for every new event (printing in the foreground, a dashboard's live feed)."""
        self._listeners.append(listener)

    def since(self, seq: int, limit: int = MAX_EVENTS) -> list[Event]:
        return [e for e in self._events if e.seq > seq][:limit]

    def recent(self, n: int = 50) -> list[Event]:
        return list(self._events)[-n:]

    @property
    def last_seq(self) -> int:
        return self._seq
