"""Keep full garbage collections short in the sandbox's long-running processes.

A full (generation 2) collection walks every tracked object alive, with the GIL held: in a
process holding botocore's service models, moto's stored items or the replicator's state, it
paused every request in flight for 20-120 ms every few seconds under load, which was most of
the tail of replication lag (bench/replication.py, docs/benchmarks.md). What is alive once a
process has started, or after a slow full collection, is long-lived: it is moved to the
permanent generation (gc.freeze) and never walked again. CPython offers the mechanism; the
policy (when to freeze) is what this module adds.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable


class FreezeSlowCollections:
    """A gc callback: after a full collection that took longer than `slow_s`, freeze what
    survived it. Only slow ones, so that freezing stays rare: each freeze may also keep the
    cyclic garbage of the work in flight at that moment forever (a few kB)."""

    def __init__(
        self, slow_s: float = 0.010, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self.slow_s, self.clock = slow_s, clock
        self.started = 0.0
        self.freezes = 0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self.started = self.clock()
        elif self.clock() - self.started > self.slow_s:
            gc.freeze()
            self.freezes += 1


def keep_full_collections_short() -> FreezeSlowCollections:
    """Freeze what is alive now (call it once the process has built its long-lived state),
    then after every slow full collection. Only for a process that serves nothing else."""
    gc.collect()
    gc.freeze()
    callback = FreezeSlowCollections()
    gc.callbacks.append(callback)
    return callback
