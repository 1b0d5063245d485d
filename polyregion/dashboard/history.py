"""Replication lag over the last minutes, per ordered pair of regions, for the live chart.

The control API reports the lag *now* (p50/p99/max over its own recent window, plus backlog);
the chart needs a trail. The dashboard samples every poll and keeps one point per bucket (the
worst sample in it: a chart that averages hides the spike you are looking for), for a bounded
window, so memory stays flat however long `polyregion up` runs.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

N = TypeVar("N", int, float)


@dataclass(frozen=True, slots=True)
class PairLag:
    source: str
    target: str
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    backlog: int | None

    @property
    def key(self) -> str:
        return f"{self.source}->{self.target}"


@dataclass(slots=True)
class Point:
    t: float  # bucket start, epoch seconds
    p99_ms: float | None
    backlog: int | None

    def merge(self, lag: PairLag) -> None:
        self.p99_ms = _worst(self.p99_ms, lag.p99_ms)
        self.backlog = _worst(self.backlog, lag.backlog)


class LagHistory:
    def __init__(self, *, window_s: float = 300.0, bucket_s: float = 2.0) -> None:
        self.window_s = window_s
        self.bucket_s = bucket_s
        self._series: dict[str, deque[Point]] = {}

    def add(self, now: float, lags: Iterable[PairLag]) -> None:
        bucket = math.floor(now / self.bucket_s) * self.bucket_s
        for lag in lags:
            series = self._series.setdefault(lag.key, deque())
            if series and series[-1].t == bucket:
                series[-1].merge(lag)
            else:
                series.append(Point(bucket, lag.p99_ms, lag.backlog))
        horizon = now - self.window_s
        for series in self._series.values():
            while series and series[0].t < horizon:
                series.popleft()

    def series(self, key: str) -> list[Point]:
        return list(self._series.get(key, ()))


def parse_replication(raw: object) -> list[PairLag]:
    """Accept the status `replication` section: a mapping "a->b" -> figures, or a list of rows.

    Unknown shapes yield no pairs rather than an error: until the replicator runs the section
    is empty, and the dashboard must keep showing everything else.
    """
    rows: list[tuple[str, str, Mapping[str, Any]]] = []
    if isinstance(raw, Mapping):
        pairs = raw.get("pairs", raw)
        if isinstance(pairs, list):
            return parse_replication(pairs)
        for key, figures in pairs.items():
            names = _split_pair(str(key))
            if names and isinstance(figures, Mapping):
                rows.append((*names, figures))
    elif isinstance(raw, list):
        for row in raw:
            if isinstance(row, Mapping):
                source = row.get("source", row.get("from"))
                target = row.get("target", row.get("destination", row.get("to")))
                if isinstance(source, str) and isinstance(target, str):
                    rows.append((source, target, row))
    return [_pair_lag(*row) for row in sorted(rows, key=lambda r: (r[0], r[1]))]


def _pair_lag(source: str, target: str, figures: Mapping[str, Any]) -> PairLag:
    # No samples yet means no lag measured, not a lag of zero.
    measured = figures.get("samples") != 0
    return PairLag(
        source=source,
        target=target,
        p50_ms=_number(figures, "p50_ms", "p50") if measured else None,
        p99_ms=_number(figures, "p99_ms", "p99") if measured else None,
        max_ms=_number(figures, "max_ms", "max") if measured else None,
        backlog=_integer(figures, "backlog", "pending"),
    )


def _split_pair(key: str) -> tuple[str, str] | None:
    for sep in ("->", "→", "/", " "):
        if sep in key:
            left, _, right = key.partition(sep)
            if left.strip() and right.strip():
                return left.strip(), right.strip()
    return None


def _number(figures: Mapping[str, Any], *keys: str) -> float | None:
    for key in keys:
        value = figures.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
    return None


def _integer(figures: Mapping[str, Any], *keys: str) -> int | None:
    value = _number(figures, *keys)
    return None if value is None else int(value)


def _worst(a: N | None, b: N | None) -> N | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)
