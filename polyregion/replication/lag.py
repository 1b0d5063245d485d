"""Replication lag per ordered region pair: recent percentiles, maximum and backlog."""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

WINDOW = 2000  # recent samples per pair


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = math.ceil(p / 100 * len(sorted_values))
    return sorted_values[max(0, min(len(sorted_values), rank) - 1)]


@dataclass
class PairLag:
    source: str
    destination: str
    delay_ms: float  # the injected delay (mean) for this pair
    samples: deque[float] = field(default_factory=lambda: deque(maxlen=WINDOW))
    applied: int = 0
    superseded: int = 0  # arrived older than what the destination held: LWW dropped it
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def observe(self, lag_ms: float, *, applied: bool) -> None:
        with self._lock:
            self.samples.append(lag_ms)
            if applied:
                self.applied += 1
            else:
                self.superseded += 1

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            values = sorted(self.samples)
            applied, superseded = self.applied, self.superseded
        return {
            "source": self.source,
            "destination": self.destination,
            "injected_delay_ms": round(self.delay_ms, 1),
            "p50_ms": round(percentile(values, 50), 1),
            "p99_ms": round(percentile(values, 99), 1),
            "max_ms": round(values[-1], 1) if values else 0.0,
            "samples": len(values),
            "applied": applied,
            "superseded": superseded,
        }
