"""The drill's numbers, computed once from the recording (see measure.py for definitions)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from polyregion.ops import measure
from polyregion.ops.model import Event, Recording
from polyregion.ops.slo import evaluate

if TYPE_CHECKING:
    from polyregion.ops.engine import DrillPlan, Marks


@dataclass(frozen=True, slots=True)
class LocationResult:
    name: str
    baseline_region: str | None
    final_regions: tuple[str, ...]  # regions that served its last requests of the fault phase
    requests: int
    failed: int
    writes_acked: int
    first_failure_at: float | None
    dns_change_at: float | None
    edge_change_at: float | None
    recovered_at: float | None
    rto_s: float | None
    errors: Mapping[str, int]  # what the failed requests saw: "HTTP 502", "ConnectError"...

    def as_dict(self, t0: float) -> dict[str, Any]:
        def rel(t: float | None) -> float | None:
            return None if t is None else round(t - t0, 3)

        return {
            "name": self.name,
            "baseline_region": self.baseline_region,
            "final_regions": list(self.final_regions),
            "requests_total": self.requests,
            "requests_failed": self.failed,
            "writes_acked": self.writes_acked,
            "first_failure_at": self.first_failure_at,
            "dns_change_at": self.dns_change_at,
            "recovered_at": self.recovered_at,
            "t_first_failure_s": rel(self.first_failure_at),
            "t_dns_change_s": rel(self.dns_change_at),
            "edge_change_at": self.edge_change_at,
            "t_edge_change_s": rel(self.edge_change_at),
            "t_recovered_s": rel(self.recovered_at),
            "rto_s": None if self.rto_s is None else round(self.rto_s, 3),
            "errors": dict(self.errors),
        }


@dataclass(slots=True)
class DrillResult:
    plan: DrillPlan
    recording: Recording
    marks: Marks
    run_id: str
    status: str
    error: str | None
    rolled_back: bool
    locations: tuple[LocationResult, ...]
    health_flip_at: float | None
    rto_s: float | None
    rpo_s: float | None
    requests_total: int
    requests_failed: int
    writes_acked: int
    writes_lost: int | None
    lost_keys: tuple[str, ...]
    missing_by_region: Mapping[str, int]
    failback_s: float | None
    convergence_s: float | None
    slo: dict[str, Any]
    writes_measured: bool = True  # False: no [drill.write], availability only
    rollback_s: float | None = None  # how long the rollback actions took
    region_convergence_s: Mapping[str, float] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when the drill completed and met every gate; 1 on a failed gate; 2 aborted;
        130 interrupted (like any Ctrl-C'd command)."""
        if self.status == "interrupted":
            return 130
        if self.status == "aborted":
            return 2
        return 0 if self.status == "completed" and self.slo["passed"] else 1


def summarize(
    plan: DrillPlan,
    rec: Recording,
    marks: Marks,
    holding: Mapping[str, set[str]],
    surviving: Sequence[str],
    *,
    status: str,
    error: str | None,
    rolled_back: bool,
    run_id: str,
    writes_measured: bool = True,
    system_events: Sequence[Event] = (),
) -> DrillResult:
    fault_t = marks.fault
    until = marks.rollback
    locs: list[LocationResult] = []
    for name in plan_locations(rec):
        mine = [s for s in rec.samples if s.location == name]
        during = [s for s in mine if fault_t is not None and fault_t <= s.t <= (until or s.t)]
        first_fail = next((s.t for s in during if not s.ok), None)
        recovered = (
            measure.recovered_at(mine, fault_t, plan.settings.window_s, until=until)
            if fault_t is not None
            else None
        )
        base = marks.baseline.get(name)
        dns_at = (
            measure.dns_change_at(rec.observations, name, base, fault_t)
            if fault_t is not None
            else None
        )
        locs.append(
            LocationResult(
                name=name,
                baseline_region=base,
                final_regions=tuple(sorted(measure.served_by(during))),
                requests=len(mine),
                failed=sum(not s.ok for s in mine),
                writes_acked=sum(s.op == "write" and s.ok for s in mine),
                first_failure_at=first_fail,
                dns_change_at=dns_at,
                edge_change_at=(
                    measure.edge_change_at(mine, system_events, name, base, fault_t, until)
                    if fault_t is not None
                    else None
                ),
                recovered_at=recovered,
                rto_s=None if recovered is None or fault_t is None else recovered - fault_t,
                errors=dict(Counter(s.error or "error" for s in mine if not s.ok)),
            )
        )
    rtos = [loc.rto_s for loc in locs]
    rto = (
        None
        if fault_t is None or any(r is None for r in rtos)
        else max((r for r in rtos if r is not None), default=0.0)
    )
    loss = (
        measure.lost_writes(rec.samples, holding, surviving)
        if writes_measured and holding
        else None
    )
    rpo = measure.rpo_s(loss.lost, fault_t) if loss is not None and fault_t is not None else None
    failback = None if marks.failback is None or until is None else marks.failback - until
    convergence = None if marks.converged is None or until is None else marks.converged - until
    gates = (
        plan.gates if writes_measured else replace(plan.gates, max_rpo_s=None, max_lost_writes=None)
    )
    slo = evaluate(gates, rto_s=rto, rpo_s=rpo, writes_lost=None if loss is None else loss.count)
    return DrillResult(
        plan=plan,
        recording=rec,
        marks=marks,
        run_id=run_id,
        status=status,
        error=error,
        rolled_back=rolled_back,
        locations=tuple(locs),
        health_flip_at=(
            measure.health_flip_at(rec.observations, plan.fault.region, fault_t)
            if fault_t is not None
            else None
        ),
        rto_s=rto,
        rpo_s=rpo,
        requests_total=len(rec.samples),
        requests_failed=sum(not s.ok for s in rec.samples),
        writes_acked=sum(s.op == "write" and s.ok for s in rec.samples),
        writes_lost=None if loss is None else loss.count,
        lost_keys=() if loss is None else tuple(s.key for s in loss.lost if s.key),
        missing_by_region={} if loss is None else dict(loss.missing_by_region),
        failback_s=failback,
        convergence_s=convergence,
        slo=slo,
        writes_measured=writes_measured,
        rollback_s=(
            None if marks.rollback_done is None or until is None else marks.rollback_done - until
        ),
        region_convergence_s=(
            {} if until is None else {r: t - until for r, t in marks.region_converged.items()}
        ),
    )


def plan_locations(rec: Recording) -> list[str]:
    seen: dict[str, None] = {}
    for s in rec.samples:
        seen.setdefault(s.location, None)
    return list(seen)
