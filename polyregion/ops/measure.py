"""Turn raw samples and observations into the drill's numbers.

Pure functions over the recording, so the definitions (what "recovered" means, what a lost
write is, how the RPO is counted) live in one readable place and are unit-tested with
hand-made samples.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from polyregion.ops.model import Event, Observation, Sample

RECOVERY_RATE = 0.99  # "recovered" = success rate back to >= 99% over the sliding window
MIN_WINDOW_SAMPLES = 3  # a window with fewer samples proves nothing


def health_flip_at(observations: Sequence[Observation], region: str, after: float) -> float | None:
    """First moment after `after` the control plane saw `region` unhealthy."""
    for obs in observations:
        if obs.t >= after and obs.health.get(region) is False:
            return obs.t
    return None


def dns_change_at(
    observations: Sequence[Observation], location: str, baseline: str | None, after: float
) -> float | None:
    """First moment after `after` the location's DNS answer left its steady-state region."""
    for obs in observations:
        answer = obs.resolved.get(location)
        if obs.t >= after and answer is not None and answer != baseline:
            return obs.t
    return None


def edge_change_at(
    samples: Sequence[Sample],
    events: Sequence[Event],
    location: str,
    baseline: str | None,
    after: float,
    until: float | None = None,
) -> float | None:
    """When the location's edge started sending its traffic to another region: the earlier of
    the system's own `edge` event (sandbox) and the first request after `after` that another
    region answered (the traffic proves the switch by then, whatever a monitor's poll saw).
    Only before `until` (the rollback): switching back is failback, not failover."""
    end = math.inf if until is None else until
    seen = [
        e.time
        for e in events
        if e.kind == "edge" and e.location == location and after <= e.time <= end
    ][:1]
    served = [
        s.t
        for s in samples
        if after <= s.t <= end and s.ok and s.region is not None and s.region != baseline
    ][:1]
    return min(seen + served, default=None)


def recovered_at(
    samples: Sequence[Sample],
    fault_t: float,
    window_s: float,
    *,
    until: float | None = None,
    rate: float = RECOVERY_RATE,
) -> float | None:
    """First moment after the fault from which the success rate over `window_s` is >= `rate`.

    A location that never failed recovered at the fault itself (RTO 0). Only windows that end
    before `until` (the rollback) count: recovering *because* the fault was undone is not a
    failover, so it is reported as no recovery (None).
    """
    after = sorted((s for s in samples if s.t >= fault_t), key=lambda s: s.t)
    first_failure = next((i for i, s in enumerate(after) if not s.ok), None)
    if first_failure is None:
        return fault_t
    for i in range(first_failure, len(after)):
        start = after[i].t
        end = start + window_s
        if until is not None and end > until:
            return None
        window = [s for s in after[i:] if s.t <= end]
        if after[-1].t < end or len(window) < MIN_WINDOW_SAMPLES:
            return None  # not enough data after this point to prove a full window
        if sum(s.ok for s in window) / len(window) >= rate and window[0].ok:
            return start
    return None


def served_by(samples: Sequence[Sample], tail: int = 5) -> set[str]:
    """Regions that answered the last `tail` successful requests of one location."""
    ok = [s.region for s in samples if s.ok and s.region]
    return {r for r in ok[-tail:] if r}


@dataclass(frozen=True, slots=True)
class WriteLoss:
    acked: int
    lost: tuple[Sample, ...]
    missing_by_region: Mapping[str, int]

    @property
    def count(self) -> int:
        return len(self.lost)


def lost_writes(
    samples: Iterable[Sample], holding: Mapping[str, set[str]], surviving: Iterable[str]
) -> WriteLoss:
    """Acknowledged writes absent from EVERY surviving replica (the issue's definition).

    `missing_by_region` also counts what each replica lacks, which shows non-convergence even
    when another replica still has the write.
    """
    acked = [s for s in samples if s.op == "write" and s.ok and s.key]
    survivors = list(surviving)
    lost = tuple(s for s in acked if not any(s.key in holding.get(r, set()) for r in survivors))
    missing = {r: sum(1 for s in acked if s.key not in holding.get(r, set())) for r in survivors}
    return WriteLoss(acked=len(acked), lost=lost, missing_by_region=missing)


def rpo_s(lost: Sequence[Sample], fault_t: float) -> float:
    """Window of acknowledged data lost: from the oldest lost write to the fault (or the newest
    lost write, if acknowledged later). Zero when nothing was lost."""
    if not lost:
        return 0.0
    oldest = min(s.t + s.latency_s for s in lost)
    newest = max(s.t + s.latency_s for s in lost)
    return max(fault_t, newest) - oldest


def success_series(
    samples: Sequence[Sample], start: float, bin_s: float
) -> tuple[list[float], list[float]]:
    """Success rate per time bin (seconds since `start`), for the timeline chart."""
    if not samples:
        return [], []
    bins: dict[int, list[bool]] = {}
    for s in samples:
        bins.setdefault(int((s.t - start) // bin_s), []).append(s.ok)
    xs = sorted(bins)
    return [x * bin_s + bin_s / 2 for x in xs], [sum(bins[x]) / len(bins[x]) for x in xs]


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): simple and exact on small samples."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[min(len(ordered), int(rank)) - 1]
