"""The drill engine: steady state -> fault -> observe -> rollback -> failback -> convergence.

One implementation for every scenario and target. The world is changed only through the
target's planned actions; rollback runs in a `finally` whenever a fault was injected (success,
failed gate, exception, Ctrl-C or SIGTERM), with further signals deferred until it is done.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from polyregion.ops import measure, signals
from polyregion.ops.model import Action, ActionRun, Event, FaultPlan, Recording, Sample
from polyregion.ops.result import DrillResult, summarize
from polyregion.ops.scenarios import Fault, Scenario
from polyregion.ops.settings import DrillSettings
from polyregion.ops.slo import Gates
from polyregion.ops.target import Target
from polyregion.ops.traffic import Traffic
from polyregion.ops.workload import AVAILABILITY_ONLY

# The steady-state hypothesis: every region healthy and >= 95% of each location's requests
# answered over at least 10 rounds. Looser than the 99% recovery rule on purpose: on a busy
# machine one slow request must not abort a drill before it starts.
STEADY_RATE = 0.95
STEADY_MIN_ROUNDS = 10

Status = Literal["completed", "failed", "aborted", "interrupted"]


@dataclass(frozen=True, slots=True)
class DrillPlan:
    """Everything the drill will do, before it does it (printed by --dry-run)."""

    scenario: Scenario
    fault: Fault
    target: str
    actions: FaultPlan
    settings: DrillSettings
    gates: Gates
    bound_s: float
    bound_text: str = ""  # "1 s x 2 + 2.5 s + 1 s = 5.5 s" (topology.failover.FORMULA)


def plan_drill(
    target: Target,
    scenario: Scenario,
    fault: Fault,
    gates: Gates,
    settings: DrillSettings | None = None,
) -> DrillPlan:
    """Decide everything up front; nothing in the world changes here."""
    timing = target.timing()
    return DrillPlan(
        scenario=scenario,
        fault=fault,
        target=target.name,
        actions=target.plan_fault(fault),
        settings=settings or DrillSettings.for_timing(timing),
        gates=gates,
        bound_s=timing.bound_s,
        bound_text=timing.bound.explain(),
    )


@dataclass
class Marks:
    """Moments of the drill (epoch seconds) the measurements are relative to."""

    started: float = 0.0
    fault: float | None = None
    rollback: float | None = None
    failback: float | None = None
    converged: float | None = None
    rollback_done: float | None = None
    missing_at_rollback: dict[str, int] = field(default_factory=dict)
    # "src -> dst": writes acknowledged in src that dst lacked just before the rollback
    divergence_at_rollback: dict[str, int] = field(default_factory=dict)
    region_converged: dict[str, float] = field(default_factory=dict)  # region -> when complete
    ended: float = 0.0
    baseline: dict[str, str | None] = field(default_factory=dict)  # location -> region


class Drill:
    def __init__(
        self,
        target: Target,
        plan: DrillPlan,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        on_event: Callable[[Event], None] | None = None,
        run_id: str | None = None,
    ) -> None:
        self.target = target
        self.plan = plan
        self.s = plan.settings
        self.clock = clock
        self.sleep = sleep
        self.on_event = on_event
        self.run_id = run_id or secrets.token_hex(3)
        self.rec = Recording()
        self._observer: ThreadPoolExecutor | None = None
        self.interrupt_pending = False
        self.marks = Marks()
        self.writes = bool(target.writes)
        self.traffic = Traffic(
            target,
            self.run_id,
            write_every=self.s.write_every if self.writes else 0,
            max_requests=self.s.max_requests,
        )

    # -- recording ------------------------------------------------------------------------
    def emit(
        self, kind: str, detail: str = "", *, at: float | None = None, **where: str | None
    ) -> None:
        when = self.clock() if at is None else at
        event = Event(when, kind, detail, where.get("region"), where.get("location"))
        self.rec.events.append(event)
        if self.on_event:
            self.on_event(event)
        if kind in {"drill-start", "fault", "rollback", "recovered", "drill-end", "aborted"}:
            with contextlib.suppress(Exception):  # the dashboard is a nicety, never a failure
                self.target.post_event(kind, detail, where.get("region"))

    def step(self) -> list[Sample]:
        """One traffic round and, at the same time, one look at the control plane; then the
        pause. (Concurrently, so a slow status call does not thin out the traffic.)"""
        if self._observer is None:
            self._observer = ThreadPoolExecutor(max_workers=1)
        pending = self._observer.submit(self.target.observe)
        samples = self.traffic.round()
        self.rec.samples.extend(samples)
        obs = pending.result()
        last = self.rec.observations[-1] if self.rec.observations else None
        self.rec.observations.append(obs)
        if last is not None:
            # Stamped with the observation's own time: the report's health flip and DNS
            # change are computed from the same observations (one source, one number).
            for region, healthy in obs.health.items():
                if last.health.get(region) != healthy:
                    state = "healthy" if healthy else "unhealthy"
                    self.emit("health-flip", f"{region} is {state}", at=obs.t, region=region)
            for loc, answer in obs.resolved.items():
                if last.resolved.get(loc) != answer:
                    self.emit(
                        "dns-change", f"{loc} now resolves to {answer}", at=obs.t, location=loc
                    )
        self.sleep(self.s.tick_s)
        return samples

    def run_actions(self, actions: tuple[Action, ...], runs: list[ActionRun]) -> None:
        for action in actions:
            start = self.clock()
            try:
                output = self.target.execute(action)
            except Exception as exc:
                runs.append(ActionRun(action, start, self.clock(), "failed", error=str(exc)))
                raise
            runs.append(ActionRun(action, start, self.clock(), "succeeded", output=output))

    # -- phases -----------------------------------------------------------------------------
    def steady_state(self) -> str | None:
        """Observe before breaking anything; a reason to abort, or None when healthy."""
        self.emit("steady-state", f"observing for {self.s.steady_s:g}s")
        start = self.clock()
        rounds = 0
        while self.clock() - start < self.s.steady_s or rounds < STEADY_MIN_ROUNDS:
            self.step()
            rounds += 1
        obs = self.rec.observations[-1]
        sick = [r for r, ok in obs.health.items() if not ok]
        if sick:
            return f"not healthy before the fault: {', '.join(sick)} unhealthy"
        for loc in self.target.locations:
            mine = [s for s in self.rec.samples if s.location == loc]
            rate = sum(s.ok for s in mine) / len(mine) if mine else 0.0
            if rate < STEADY_RATE:
                bad = next((s.error or str(s.status) for s in mine if not s.ok), "no samples")
                return f"{loc}: only {rate:.0%} of requests succeed before the fault ({bad})"
            self.marks.baseline[loc] = obs.resolved.get(loc)
        return None

    def observe_fault(self) -> None:
        assert self.marks.fault is not None
        fault_t = self.marks.fault
        deadline = fault_t + self.s.observe_timeout_s
        victim = self.plan.fault.region
        while self.clock() < deadline:
            if not self.step():
                break  # traffic bound reached
            now = self.clock()
            if not self.plan.scenario.evacuates:
                if now >= fault_t + self.s.hold_s:
                    return
                continue
            if self.traffic.rounds % 5:
                continue  # checking recovery is O(samples): every few rounds is plenty
            done = True
            for loc in self.target.locations:
                mine = [s for s in self.rec.samples if s.location == loc]
                rec = measure.recovered_at(mine, fault_t, self.s.window_s)
                away = victim not in measure.served_by(mine) and (
                    self.rec.observations[-1].resolved.get(loc) != victim
                )
                done = done and rec is not None and away
            if done and now >= fault_t + self.s.window_s:
                return
        self.emit("observe-timeout", f"not recovered within {self.s.observe_timeout_s:g}s")

    def wait_failback(self) -> None:
        assert self.marks.rollback is not None
        deadline = self.marks.rollback + self.s.failback_timeout_s
        while self.clock() < deadline:
            if not self.step():
                break
            back = True
            for loc in self.target.locations:
                base = self.marks.baseline.get(loc)
                mine = [s for s in self.rec.samples if s.location == loc][-5:]
                served = measure.served_by(mine)
                back = back and all(s.ok for s in mine) and (not served or served == {base})
                back = back and self.rec.observations[-1].resolved.get(loc) == base
            if back:
                self.marks.failback = self.clock()
                self.emit(
                    "failback", f"{self.marks.failback - self.marks.rollback:.1f}s after rollback"
                )
                return
        self.emit("failback-timeout", f"not back within {self.s.failback_timeout_s:g}s")

    def acked(self) -> list[Sample]:
        return [s for s in self.rec.samples if s.op == "write" and s.ok and s.key]

    def record_divergence(self) -> None:
        """Acknowledged writes each region lacks right now (before the rollback), in total and
        per ordered pair (acknowledged in src, missing in dst): shows that a partition really
        stopped replication, and how far the replicas had diverged."""
        acked = self.acked()
        if not acked:
            return
        try:
            holding = self.target.replicas_holding(
                {s.key for s in acked if s.key}, self.target.regions
            )
        except Exception:  # a dead region's endpoint may not answer: not a drill failure
            return
        self.marks.missing_at_rollback = {
            r: sum(s.key not in v for s in acked) for r, v in holding.items()
        }
        self.marks.divergence_at_rollback = divergence(acked, holding)

    def surviving(self) -> tuple[str, ...]:
        if self.plan.scenario.victim_replica_survives:
            return self.target.regions
        return tuple(r for r in self.target.regions if r != self.plan.fault.region)

    def converge(self) -> dict[str, set[str]]:
        """Poll every surviving replica until each holds every acknowledged write (or time out);
        when each region became complete is kept (convergence per region in the report)."""
        keys = [s.key for s in self.acked() if s.key]
        regions = self.surviving()
        start = self.clock()
        while True:
            holding = {r: set(v) for r, v in self.target.replicas_holding(keys, regions).items()}
            now = self.clock()
            for r in regions:
                if r not in self.marks.region_converged and set(keys) <= holding.get(r, set()):
                    self.marks.region_converged[r] = now
            if all(set(keys) <= holding.get(r, set()) for r in regions):
                self.marks.converged = self.clock()
                self.emit("converged", f"{len(keys)} acknowledged writes in {', '.join(regions)}")
                return holding
            if self.clock() - start >= self.s.convergence_timeout_s:
                self.emit(
                    "convergence-timeout",
                    f"replicas still differ after {self.s.convergence_timeout_s:g}s",
                )
                return holding
            self.sleep(min(0.5, self.s.convergence_timeout_s / 20))

    # -- the whole drill --------------------------------------------------------------------
    def run(self) -> DrillResult:
        status: Status = "completed"
        error: str | None = None
        fault_started = False
        rolled_back = False
        holding: dict[str, set[str]] = {}
        self.marks.started = self.clock()
        self.emit("drill-start", f"{self.plan.scenario.name} on {self.plan.target}")
        with signals.raise_interrupt():
            try:
                self.target.prepare(self.run_id)
                reason = self.steady_state()
                if reason is not None:
                    status, error = "aborted", reason
                    self.emit("aborted", reason)
                else:
                    fault_started = True
                    self.run_actions(self.plan.actions.inject, self.rec.fault_runs)
                    self.marks.fault = self.clock()
                    self.emit("fault", _describe(self.plan.fault), region=self.plan.fault.region)
                    self.observe_fault()
                    self.record_divergence()
            except KeyboardInterrupt:
                status, error = "interrupted", "interrupted (Ctrl-C or SIGTERM)"
                self.emit("interrupted", error)
            except Exception as exc:
                # Before any fault, nothing was broken: the drill could not start (aborted).
                status = "failed" if fault_started else "aborted"
                error = f"{type(exc).__name__}: {exc}" if fault_started else str(exc)
                self.emit("error" if fault_started else "aborted", error)
            finally:
                if fault_started:
                    rolled_back = self.rollback()
            if self.interrupt_pending and status == "completed":
                status, error = "interrupted", "interrupted during rollback"
            try:
                if status == "completed" and rolled_back:
                    self.wait_failback()
                    holding = self.converge() if self.writes else {}
                elif fault_started and status != "interrupted" and self.writes:
                    holding = self.converge()
            except KeyboardInterrupt:
                status, error = "interrupted", "interrupted after rollback"
            finally:
                self.traffic.close()
                if self._observer is not None:
                    self._observer.shutdown(wait=True)
        self.marks.ended = self.clock()
        if fault_started and not rolled_back and status == "completed":
            status = "failed"
        if not self.writes:
            self.emit("availability-only", AVAILABILITY_ONLY)
        system: list[Event] = []
        system_events = getattr(self.target, "system_events", None)
        if system_events is not None:
            with contextlib.suppress(Exception):  # the system's own log is extra context
                system = list(system_events())
        result = summarize(
            self.plan,
            self.rec,
            self.marks,
            holding,
            self.surviving(),
            status=status,
            error=error,
            rolled_back=rolled_back,
            run_id=self.run_id,
            writes_measured=self.writes,
            system_events=system,
        )
        for loc in result.locations:
            if loc.recovered_at is not None and loc.rto_s:
                self.emit(
                    "recovered",
                    f"{loc.name}: RTO {loc.rto_s:.2f}s",
                    at=loc.recovered_at,
                    location=loc.name,
                )
        self.emit("drill-end", f"{status}; SLO {'passed' if result.slo['passed'] else 'FAILED'}")
        events = list(self.rec.events) + system
        result.events = [e.as_dict() for e in sorted(events, key=lambda e: e.time)]
        return result

    def rollback(self) -> bool:
        """Undo the fault; never interrupted by a second Ctrl-C. Returns whether it succeeded.

        The `rollback` event, the chart's rollback line and the report's `rollback_at` are all
        the moment the rollback started; `rollback_s` is how long its actions took."""
        start = self.marks.rollback = self.clock()
        with signals.deferred() as pending:
            try:
                self.run_actions(self.plan.actions.rollback, self.rec.rollback_runs)
            except Exception as exc:
                self.emit("rollback-failed", f"{type(exc).__name__}: {exc}")
                return False
            finally:
                self.interrupt_pending = bool(pending)
        done = self.marks.rollback_done = self.clock()
        self.emit(
            "rollback",
            f"fault undone in {done - start:.2f}s",
            at=start,
            region=self.plan.fault.region,
        )
        return True


def divergence(acked: list[Sample], holding: Mapping[str, set[str]]) -> dict[str, int]:
    """`{"src -> dst": n}`: writes acknowledged by src (the region that answered) that dst does
    not hold. Pairs are every ordered pair of regions in `holding`."""
    out: dict[str, int] = {}
    for src in holding:
        mine = [s for s in acked if s.region == src]
        for dst, held in holding.items():
            if dst != src:
                out[f"{src} -> {dst}"] = sum(s.key not in held for s in mine)
    return out


def _describe(fault: Fault) -> str:
    extra = fault.peer or fault.dependency
    return f"{fault.kind} {fault.region}" + (f" {extra}" if extra else "")
