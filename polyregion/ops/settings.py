"""How a drill paces itself, derived from the target's failover clock (fast or AWS-faithful)."""

from __future__ import annotations

from dataclasses import dataclass

from polyregion.ops.scenarios import Timing


@dataclass(frozen=True, slots=True)
class DrillSettings:
    tick_s: float = 0.1  # pause between traffic rounds
    steady_s: float = 2.0  # steady state observed before the fault
    window_s: float = 2.0  # sliding window of the ">= 99% success" recovery rule
    observe_timeout_s: float = 30.0  # give up waiting for recovery after this long
    hold_s: float = 3.0  # partition: fault duration; evacuations: extra time after recovery
    failback_timeout_s: float = 30.0
    convergence_timeout_s: float = 30.0
    write_every: int = 2
    max_requests: int = 50_000  # hard bound on synthetic traffic

    @classmethod
    def for_timing(cls, timing: Timing) -> DrillSettings:
        """Scale with the failover bound: a 3 s sandbox drill and a 150 s AWS drill differ."""
        bound = timing.bound_s
        tick = min(1.0, max(0.1, timing.interval_s / 10))
        window = max(2.0, timing.interval_s)
        return cls(
            tick_s=tick,
            steady_s=max(2.0, timing.interval_s),
            window_s=window,
            observe_timeout_s=3 * bound + window + 10,
            hold_s=max(3.0, timing.interval_s),
            failback_timeout_s=3 * bound + 10,
            convergence_timeout_s=max(10.0, 2 * bound),
        )
