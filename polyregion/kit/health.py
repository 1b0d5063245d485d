"""Deep health checks that always answer in time: the app's `[health] path`.

Route 53 waits 2 s for an answer, so every check (a blocking callable: a DynamoDB read, an S3
HeadBucket, a secret's value...) runs concurrently in a worker thread bounded by `timeout_s`;
a hung dependency is abandoned, not awaited. The result is cached for `cache_s` and a round in
progress is shared by every concurrent caller (single flight), so a storm of checkers costs
each dependency at most one call per cache period. The same checker serves asyncio apps
(`report()`: Starlette, FastAPI) and threaded WSGI apps (`report_sync()`: Flask).

The answer's JSON (`HealthReport.to_json`) is the contract's:
`{"status": "healthy"|"degraded", "region", "checks": {name: {"status": "ok"|"fail",
"duration_ms", "error"?}}, "timestamp"}` with HTTP 200 / 503.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import anyio
import anyio.to_thread

log = logging.getLogger("polyregion.kit.health")
Status = Literal["ok", "fail"]
Check = Callable[[], object]  # blocking; raises when the dependency is not usable
# Worker threads reserved for checks: a hung dependency can pin at most this many, and
# requests keep their own pool. Abandoned threads end at the client's own socket timeout.
CHECK_THREADS = 8
MAX_TIMEOUT_S = 1.5  # Route 53 gives up after 2 s; leave room for the rest of the request


@dataclass(frozen=True, slots=True)
class CheckResult:
    status: Status
    duration_ms: float
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "duration_ms": round(self.duration_ms, 1)}
        if self.error is not None:
            out["error"] = self.error
        return out


@dataclass(frozen=True, slots=True)
class HealthReport:
    region: str
    checks: Mapping[str, CheckResult]
    timestamp: str
    checked_at: float = field(repr=False)  # monotonic, for the result cache

    @property
    def healthy(self) -> bool:
        return all(c.status == "ok" for c in self.checks.values())

    @property
    def http_status(self) -> int:
        return 200 if self.healthy else 503

    def to_json(self) -> dict[str, Any]:
        return {
            "status": "healthy" if self.healthy else "degraded",
            "region": self.region,
            "checks": {name: c.to_json() for name, c in self.checks.items()},
            "timestamp": self.timestamp,
        }


def describe(exc: BaseException) -> str:
    """A short, public-safe reason: the AWS error code when there is one, else the class.

    The health path answers anyone on the internet (Route 53's checkers carry no credentials),
    and AWS error messages name the account, the role and the resource: only the code is
    published; the message is logged, where operators can read it."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        err = response.get("Error", {})
        code = str(err.get("Code") or type(exc).__name__)
        log.warning("health check failed: %s: %s", code, err.get("Message", ""))
        return code
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


class HealthChecker:
    """Runs `checks` (name -> blocking callable) concurrently, bounded, cached, single flight."""

    def __init__(
        self,
        region: str,
        checks: Mapping[str, Check] | None = None,
        *,
        timeout_s: float = 1.0,
        cache_s: float = 1.0,
        warmup: Callable[[], object] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 < timeout_s <= MAX_TIMEOUT_S:
            raise ValueError(f"timeout_s must be in (0, {MAX_TIMEOUT_S}] (Route 53 waits 2 s)")
        self.region = region
        self.checks: dict[str, Check] = dict(checks or {})
        self.timeout_s = timeout_s
        self.cache_s = cache_s
        # Building boto3 clients loads service models (CPU and disk, no network): hundreds of
        # ms on a cold process. Done once before the first round, outside the check timeouts,
        # so a cold start is not mistaken for a slow dependency.
        self._warmup = warmup
        self._clock = clock
        self._cached: HealthReport | None = None
        self._inflight: asyncio.Future[HealthReport] | None = None
        self._limiter: anyio.CapacityLimiter | None = None
        self._sync_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def add(self, name: str, check: Check) -> None:
        """One more check (e.g. the origin-verify secret, added by `OriginGuard`)."""
        self.checks[name] = check
        self._cached = None

    def _fresh(self) -> HealthReport | None:
        cached = self._cached
        if cached is not None and self._clock() - cached.checked_at < self.cache_s:
            return cached
        return None

    def _report(self, names: list[str], results: list[CheckResult]) -> HealthReport:
        report = HealthReport(
            region=self.region,
            checks=dict(zip(names, results, strict=True)),
            timestamp=datetime.now(UTC).isoformat(timespec="milliseconds"),
            checked_at=self._clock(),
        )
        self._cached = report
        return report

    # -- asyncio (Starlette, FastAPI) -----------------------------------------------------
    async def report(self) -> HealthReport:
        cached = self._fresh()
        if cached is not None:
            return cached
        inflight = self._inflight
        if inflight is None or inflight.get_loop() is not asyncio.get_running_loop():
            inflight = self._inflight = asyncio.ensure_future(self._run())
        # shield: a caller that goes away must not cancel the round the others wait for.
        return await asyncio.shield(inflight)

    async def _run(self) -> HealthReport:
        try:
            if self._warmup is not None:
                try:
                    # In the checks' own limiter: never queued behind request work.
                    await anyio.to_thread.run_sync(self._warmup, limiter=self._threads())
                except Exception as exc:  # the checks themselves will report what is wrong
                    log.warning("health client warm-up failed: %s", describe(exc))
                self._warmup = None
            names = list(self.checks)
            results = await asyncio.gather(*(self._check(self.checks[n]) for n in names))
            return self._report(names, list(results))
        finally:
            self._inflight = None

    def _threads(self) -> anyio.CapacityLimiter:
        if self._limiter is None:  # made inside the running loop
            self._limiter = anyio.CapacityLimiter(CHECK_THREADS)
        return self._limiter

    async def _check(self, fn: Check) -> CheckResult:
        start = time.perf_counter()
        try:
            await asyncio.wait_for(
                anyio.to_thread.run_sync(fn, abandon_on_cancel=True, limiter=self._threads()),
                self.timeout_s,
            )
        except TimeoutError:
            return self._timed_out(start)
        except Exception as exc:
            return CheckResult("fail", (time.perf_counter() - start) * 1000, describe(exc))
        return CheckResult("ok", (time.perf_counter() - start) * 1000)

    def _timed_out(self, start: float) -> CheckResult:
        elapsed = (time.perf_counter() - start) * 1000
        return CheckResult("fail", elapsed, f"timed out after {self.timeout_s * 1000:.0f} ms")

    # -- threads (WSGI: Flask) --------------------------------------------------------------
    def report_sync(self) -> HealthReport:
        """The same report for a threaded server; concurrent callers share one round."""
        cached = self._fresh()
        if cached is not None:
            return cached
        # Single flight: the others wait here (at most one round: about timeout_s) and then
        # find the fresh result.
        with self._sync_lock:
            cached = self._fresh()
            if cached is not None:
                return cached
            pool = self._executor()
            if self._warmup is not None:
                try:
                    pool.submit(self._warmup).result()
                except Exception as exc:
                    log.warning("health client warm-up failed: %s", describe(exc))
                self._warmup = None
            names = list(self.checks)
            starts = [time.perf_counter()] * len(names)
            futures = [pool.submit(self._timed, self.checks[n]) for n in names]
            wait_futures(futures, timeout=self.timeout_s)
            return self._report(
                names, [self._sync_result(f, s) for f, s in zip(futures, starts, strict=True)]
            )

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(CHECK_THREADS, thread_name_prefix="health")
        return self._pool

    @staticmethod
    def _timed(fn: Check) -> float:
        start = time.perf_counter()
        fn()
        return (time.perf_counter() - start) * 1000

    def _sync_result(self, fut: Future[float], start: float) -> CheckResult:
        if not fut.done():
            fut.cancel()  # not started yet (every check thread is pinned): never will be
            return self._timed_out(start)
        exc = fut.exception()
        if exc is not None:
            return CheckResult("fail", (time.perf_counter() - start) * 1000, describe(exc))
        return CheckResult("ok", fut.result())
