"""Which stream position is safe to checkpoint: the low-water mark of fully applied records.

Records of a shard are read in order but finish out of order (one destination may be
partitioned while another is not). A position may be saved only when that record and every
record before it has been applied, or skipped, in every destination.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field


@dataclass
class _Pending:
    ticket: int  # unique per record read (sequence numbers are not unique under moto, see below)
    raw: str
    remaining: int


@dataclass
class ShardProgress:
    pending: deque[_Pending] = field(default_factory=deque)
    safe: str | None = None  # the last sequence number all of whose predecessors are done


class Progress:
    """Low-water marks per (stream ARN, shard).

    Records are identified by a ticket handed out when they are read, not by sequence number:
    a record may be read twice (moto can give two records the same number under concurrent
    writes, and then re-reads one), and each read must be accounted for on its own.
    """

    def __init__(self) -> None:
        self._shards: dict[tuple[str, str], ShardProgress] = {}
        self._lock = threading.Lock()
        self._tickets = 0
        self.version = 0  # bumped on every change, so the checkpointer knows when to write

    def track(self, stream: str, shard: str, seq: str, destinations: int) -> int:
        """Register a record read; returns its ticket for `done`."""
        with self._lock:
            self._tickets += 1
            sp = self._shards.setdefault((stream, shard), ShardProgress())
            sp.pending.append(_Pending(self._tickets, seq, destinations))
            self._advance(sp)
            return self._tickets

    def done(self, stream: str, shard: str, ticket: int) -> None:
        with self._lock:
            sp = self._shards[(stream, shard)]
            for p in sp.pending:
                if p.ticket == ticket:
                    p.remaining -= 1
                    break
            self._advance(sp)

    def _advance(self, sp: ShardProgress) -> None:
        while sp.pending and sp.pending[0].remaining <= 0:
            sp.safe = sp.pending.popleft().raw
            self.version += 1

    def positions(self) -> dict[str, dict[str, str]]:
        with self._lock:
            out: dict[str, dict[str, str]] = {}
            for (stream, shard), sp in self._shards.items():
                if sp.safe is not None:
                    out.setdefault(stream, {})[shard] = sp.safe
            return out

    def in_flight(self) -> int:
        with self._lock:
            return sum(len(sp.pending) for sp in self._shards.values())
