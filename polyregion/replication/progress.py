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
    seq: int
    raw: str
    remaining: int


@dataclass
class ShardProgress:
    pending: deque[_Pending] = field(default_factory=deque)
    safe: str | None = None  # the last sequence number all of whose predecessors are done


class Progress:
    """Low-water marks per (stream ARN, shard)."""

    def __init__(self) -> None:
        self._shards: dict[tuple[str, str], ShardProgress] = {}
        self._lock = threading.Lock()
        self.version = 0  # bumped on every change, so the checkpointer knows when to write

    def track(self, stream: str, shard: str, seq: str, destinations: int) -> None:
        with self._lock:
            sp = self._shards.setdefault((stream, shard), ShardProgress())
            sp.pending.append(_Pending(int(seq), seq, destinations))
            self._advance(sp)

    def done(self, stream: str, shard: str, seq: str) -> None:
        with self._lock:
            sp = self._shards[(stream, shard)]
            n = int(seq)
            for p in sp.pending:
                if p.seq == n:
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
