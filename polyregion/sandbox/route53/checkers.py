"""Emulated Route 53 health checkers: one independent prober per checker region and check.

Semantics reproduced [aws-facts: Route 53 health checks]:
- every checker region probes on its own, every RequestInterval, staggered across the interval;
- a checker changes its opinion after FailureThreshold consecutive results the other way;
- the endpoint is healthy when MORE than 18% of the checkers say healthy;
- Disabled: healthy whatever the probes say; Inverted: the opposite; both: unhealthy.

State changes only through `record()` (one probe result) and `configure()`/`set_flags()`, with
an injected clock, so the state machine is tested without threads or sockets. `start()` adds
a scheduler thread and a pool running the (injected) probe.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from polyregion.sandbox.route53.probe import Probe, ProbeResult, ProbeTarget, http_probe
from polyregion.topology.regions import HEALTHY_CHECKER_SHARE

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HealthCheckSpec:
    """What one health check probes and how (the emulated HealthCheckConfig)."""

    id: str
    target: ProbeTarget
    checker_regions: tuple[str, ...]
    interval_s: float
    failure_threshold: int
    inverted: bool = False
    disabled: bool = False
    region: str | None = None  # the topology region whose origin this checks (for events)


@dataclass(frozen=True, slots=True)
class Observation:
    """One checker region's view (GetHealthCheckStatus's HealthCheckObservation)."""

    checker_region: str
    healthy: bool  # the checker's opinion, after the threshold
    last: ProbeResult | None
    checked_at: float | None
    consecutive_ok: int
    consecutive_failed: int


@dataclass(frozen=True, slots=True)
class HealthStatus:
    health_check_id: str
    region: str | None
    healthy: bool  # what DNS routing uses
    measured_healthy: bool  # the >18% rule alone, before Disabled/Inverted
    healthy_checkers: int
    checkers: int
    inverted: bool
    disabled: bool
    changed_at: float  # clock time of the last flip of `healthy` (or of creation)
    observations: tuple[Observation, ...]


@dataclass(frozen=True, slots=True)
class HealthFlip:
    """Emitted when a health check's routing status changes."""

    health_check_id: str
    region: str | None
    healthy: bool
    at: float
    reason: str


def combine(measured_healthy: bool, *, inverted: bool, disabled: bool) -> bool:
    """Route 53's final status: Disabled counts as healthy, Inverted flips, both: unhealthy."""
    if disabled:
        return not inverted
    return measured_healthy != inverted


def enough_healthy(healthy: int, total: int) -> bool:
    """More than 18% of the checkers must report healthy."""
    return total > 0 and healthy / total > HEALTHY_CHECKER_SHARE


@dataclass
class _Checker:
    region: str
    next_due: float
    healthy: bool = True  # Route 53: a new check is healthy until the data says otherwise
    consecutive_ok: int = 0
    consecutive_failed: int = 0
    last: ProbeResult | None = None
    checked_at: float | None = None
    in_flight: bool = False


@dataclass
class _Check:
    spec: HealthCheckSpec
    checkers: dict[str, _Checker]
    healthy: bool = True
    changed_at: float = 0.0
    generation: int = field(default=0)


FlipHook = Callable[[HealthFlip], None]


class HealthCheckers:
    """All emulated checkers for all health checks, with their routing status.

    Thread-safe; no global state. `probe` and `clock` are injectable; `on_flip` is called
    (outside the lock) each time a check's routing status changes.
    """

    def __init__(
        self,
        specs: Iterable[HealthCheckSpec] = (),
        *,
        connect_timeout_s: float = 4.0,
        response_timeout_s: float = 2.0,
        tcp_connect_timeout_s: float = 10.0,
        probe: Probe = http_probe,
        clock: Callable[[], float] = time.time,
        on_flip: FlipHook | None = None,
        max_workers: int = 32,
        thread_prefix: str = "r53",
    ) -> None:
        self.connect_timeout_s = connect_timeout_s
        self.response_timeout_s = response_timeout_s
        self.tcp_connect_timeout_s = tcp_connect_timeout_s
        self._probe = probe
        self._clock = clock
        self._hooks: list[FlipHook] = [on_flip] if on_flip else []
        self._max_workers = max_workers
        self._thread_prefix = thread_prefix
        self._lock = threading.RLock()
        self._checks: dict[str, _Check] = {}
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self.configure(specs)

    # -- configuration ----------------------------------------------------------------
    def add_flip_hook(self, hook: FlipHook) -> None:
        self._hooks.append(hook)

    def configure(self, specs: Iterable[HealthCheckSpec]) -> None:
        """Make the set of checks exactly `specs`: add new ones, drop missing ones, update the
        rest in place (observations survive a flag or threshold change)."""
        now = self._clock()
        wanted = {s.id: s for s in specs}
        flips: list[HealthFlip] = []
        with self._lock:
            for gone in set(self._checks) - set(wanted):
                del self._checks[gone]
            for spec in wanted.values():
                check = self._checks.get(spec.id)
                if check is None:
                    n = len(spec.checker_regions)
                    # Stagger the checkers across the interval, as Route 53 spreads them.
                    checkers = {
                        r: _Checker(r, now + spec.interval_s * i / n)
                        for i, r in enumerate(spec.checker_regions)
                    }
                    check = _Check(spec, checkers, changed_at=now)
                    self._checks[spec.id] = check
                    check.healthy = self._evaluate(check)[0]
                    continue
                for r in set(check.checkers) - set(spec.checker_regions):
                    del check.checkers[r]
                for r in spec.checker_regions:
                    check.checkers.setdefault(r, _Checker(r, now))
                check.spec = spec
                flips += self._reevaluate(check, now, "configuration changed")
        self._wake.set()
        self._emit(flips)

    def set_flags(
        self, check_id: str, *, inverted: bool | None = None, disabled: bool | None = None
    ) -> None:
        """Change Inverted/Disabled of one check (UpdateHealthCheck); KeyError if unknown."""
        with self._lock:
            check = self._checks[check_id]
            check.spec = replace(
                check.spec,
                inverted=check.spec.inverted if inverted is None else inverted,
                disabled=check.spec.disabled if disabled is None else disabled,
            )
            flips = self._reevaluate(check, self._clock(), "configuration changed")
        self._emit(flips)

    # -- the state machine --------------------------------------------------------------
    def record(
        self, check_id: str, checker_region: str, result: ProbeResult, at: float | None = None
    ) -> None:
        """Feed one probe result from one checker region."""
        at = self._clock() if at is None else at
        with self._lock:
            check = self._checks.get(check_id)
            checker = check.checkers.get(checker_region) if check else None
            if check is None or checker is None:
                return  # removed while the probe ran
            checker.last, checker.checked_at = result, at
            if result.ok:
                checker.consecutive_ok += 1
                checker.consecutive_failed = 0
                if checker.consecutive_ok >= check.spec.failure_threshold:
                    checker.healthy = True
            else:
                checker.consecutive_failed += 1
                checker.consecutive_ok = 0
                if checker.consecutive_failed >= check.spec.failure_threshold:
                    checker.healthy = False
            flips = self._reevaluate(check, at, "probes")
        self._emit(flips)

    def _evaluate(self, check: _Check) -> tuple[bool, bool, int]:
        healthy_n = sum(c.healthy for c in check.checkers.values())
        measured = enough_healthy(healthy_n, len(check.checkers))
        final = combine(measured, inverted=check.spec.inverted, disabled=check.spec.disabled)
        return final, measured, healthy_n

    def _reevaluate(self, check: _Check, at: float, cause: str) -> list[HealthFlip]:
        final, _, healthy_n = self._evaluate(check)
        if final == check.healthy:
            return []
        check.healthy, check.changed_at = final, at
        spec = check.spec
        flags = [f for f, on in (("disabled", spec.disabled), ("inverted", spec.inverted)) if on]
        reason = f"{cause}: {healthy_n}/{len(check.checkers)} checkers healthy" + (
            f", {' and '.join(flags)}" if flags else ""
        )
        return [HealthFlip(spec.id, spec.region, final, at, reason)]

    def _emit(self, flips: list[HealthFlip]) -> None:
        for flip in flips:
            log.info(
                "health check %s (%s) -> %s: %s",
                flip.health_check_id,
                flip.region,
                "healthy" if flip.healthy else "unhealthy",
                flip.reason,
            )
            for hook in self._hooks:
                try:
                    hook(flip)
                except Exception:  # a broken listener must not stop health checking
                    log.exception("health flip hook failed")

    # -- queries ------------------------------------------------------------------------
    def is_healthy(self, check_id: str) -> bool:
        """Routing status; an unknown id counts as healthy (as a record without a check)."""
        with self._lock:
            check = self._checks.get(check_id)
            return True if check is None else check.healthy

    def ids(self) -> list[str]:
        with self._lock:
            return list(self._checks)

    def status(self, check_id: str) -> HealthStatus:
        with self._lock:
            check = self._checks[check_id]
            _, measured, healthy_n = self._evaluate(check)
            return HealthStatus(
                health_check_id=check_id,
                region=check.spec.region,
                healthy=check.healthy,
                measured_healthy=measured,
                healthy_checkers=healthy_n,
                checkers=len(check.checkers),
                inverted=check.spec.inverted,
                disabled=check.spec.disabled,
                changed_at=check.changed_at,
                observations=tuple(
                    Observation(
                        c.region,
                        c.healthy,
                        c.last,
                        c.checked_at,
                        c.consecutive_ok,
                        c.consecutive_failed,
                    )
                    for c in check.checkers.values()
                ),
            )

    def statuses(self) -> list[HealthStatus]:
        return [self.status(i) for i in self.ids()]

    # -- probing ------------------------------------------------------------------------
    def _take_due(self, now: float) -> list[tuple[str, str, HealthCheckSpec]]:
        due = []
        with self._lock:
            for check in self._checks.values():
                for c in check.checkers.values():
                    if c.in_flight or c.next_due > now:
                        continue
                    c.in_flight = True
                    # Keep the cadence; after a long stall, restart it from now.
                    c.next_due = max(c.next_due + check.spec.interval_s, now)
                    due.append((check.spec.id, c.region, check.spec))
        return due

    def _probe_one(self, check_id: str, region: str, spec: HealthCheckSpec) -> None:
        try:
            tcp = spec.target.kind == "TCP"
            connect = self.tcp_connect_timeout_s if tcp else self.connect_timeout_s
            result = self._probe(spec.target, connect, self.response_timeout_s)
        except Exception as exc:  # a probe bug counts as a failed probe, never kills a checker
            result = ProbeResult(False, None, 0.0, f"probe error ({type(exc).__name__})")
        finally:
            with self._lock:
                check = self._checks.get(check_id)
                if check and region in check.checkers:
                    check.checkers[region].in_flight = False
        self.record(check_id, region, result)
        self._wake.set()

    def run_due(self, now: float | None = None) -> int:
        """Probe, synchronously, every checker whose turn has come; returns how many ran."""
        due = self._take_due(self._clock() if now is None else now)
        for item in due:
            self._probe_one(*item)
        return len(due)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._pool = ThreadPoolExecutor(
            self._max_workers, thread_name_prefix=f"{self._thread_prefix}-probe"
        )
        self._thread = threading.Thread(
            target=self._loop, name=f"{self._thread_prefix}-scheduler", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()  # before looking: a set() from here on is not lost
            now = self._clock()
            pool = self._pool
            if pool is None:
                return
            for item in self._take_due(now):
                pool.submit(self._probe_one, *item)
            with self._lock:
                dues = [
                    c.next_due
                    for k in self._checks.values()
                    for c in k.checkers.values()
                    if not c.in_flight  # a probe finishing sets the wake event anyway
                ]
            wait = min(dues, default=now + 0.5) - now
            self._wake.wait(min(max(wait, 0.01), 0.5))
