"""`/api/health`: a deep check of the region's dependencies that always answers in time.

Route 53 waits 2 s for an answer, so each check (DynamoDB GetItem on the global table, S3
HeadBucket, Secrets Manager GetSecretValue) runs concurrently in a worker thread bounded by
`health.check_timeout_ms`; a hung dependency is abandoned, not awaited. The result is cached
for `health.cache_s` and shared by concurrent callers (single flight), so a storm of checkers
costs the dependencies at most one round of calls per cache period.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import anyio
import anyio.to_thread

log = logging.getLogger("polyregion.app.health")
Status = Literal["ok", "fail"]
# Worker threads reserved for checks: a hung dependency can pin at most this many, and
# requests keep their own pool. Abandoned threads end at the client's own socket timeout.
CHECK_THREADS = 8


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


def _describe(exc: BaseException) -> str:
    """A short, public-safe reason: the AWS error code when there is one, else the class.

    /api/health answers anyone on the internet (Route 53's checkers carry no credentials), and
    AWS error messages name the account, the role and the resource ("User: arn:aws:sts::<id>:
    assumed-role/... is not authorized ..."): only the code is published; the message is
    logged, where operators can read it."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        err = response.get("Error", {})
        code = str(err.get("Code") or type(exc).__name__)
        log.warning("health check failed: %s: %s", code, err.get("Message", ""))
        return code
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


class HealthChecker:
    def __init__(
        self,
        region: str,
        checks: Mapping[str, Callable[[], object]],
        *,
        timeout_s: float,
        cache_s: float,
        warmup: Callable[[], object] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.region = region
        # Building boto3 clients loads service models (CPU and disk, no network): hundreds of
        # ms on a cold process. Done once before the first round, outside the check timeouts,
        # so a cold start is not mistaken for a slow dependency.
        self._warmup = warmup
        self.checks = dict(checks)
        self.timeout_s = timeout_s
        self.cache_s = cache_s
        self._clock = clock
        self._cached: HealthReport | None = None
        self._inflight: asyncio.Future[HealthReport] | None = None
        self._limiter: anyio.CapacityLimiter | None = None

    async def report(self) -> HealthReport:
        cached = self._cached
        if cached is not None and self._clock() - cached.checked_at < self.cache_s:
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
                    log.warning("health client warm-up failed: %s", _describe(exc))
                self._warmup = None
            names = list(self.checks)
            results = await asyncio.gather(*(self._check(self.checks[n]) for n in names))
            report = HealthReport(
                region=self.region,
                checks=dict(zip(names, results, strict=True)),
                timestamp=datetime.now(UTC).isoformat(timespec="milliseconds"),
                checked_at=self._clock(),
            )
            self._cached = report
            return report
        finally:
            self._inflight = None

    def _threads(self) -> anyio.CapacityLimiter:
        if self._limiter is None:  # made inside the running loop
            self._limiter = anyio.CapacityLimiter(CHECK_THREADS)
        return self._limiter

    async def _check(self, fn: Callable[[], object]) -> CheckResult:
        limiter = self._threads()
        start = time.perf_counter()
        try:
            await asyncio.wait_for(
                anyio.to_thread.run_sync(fn, abandon_on_cancel=True, limiter=limiter),
                self.timeout_s,
            )
        except TimeoutError:
            elapsed = (time.perf_counter() - start) * 1000
            return CheckResult("fail", elapsed, f"timed out after {self.timeout_s * 1000:.0f} ms")
        except Exception as exc:
            return CheckResult("fail", (time.perf_counter() - start) * 1000, _describe(exc))
        return CheckResult("ok", (time.perf_counter() - start) * 1000)


def dependency_checks(
    *,
    dynamodb: Any,
    s3: Any,
    secretsmanager: Any,
    table: str,
    bucket: str,
    secret_id: str,
    origin_verify_secret_id: str | None = None,
) -> dict[str, Callable[[], object]]:
    """Every dependency a request needs, as blocking callables over boto3 clients (injected).

    With an origin-verify secret the guard answers 503 to every request when it cannot read
    it, so health must fail too, or Route 53 keeps routing users to a region that refuses them.
    """
    from polyregion.data.items import key

    probe = "__health_check__"
    checks: dict[str, Callable[[], object]] = {
        "dynamodb": lambda: dynamodb().get_item(TableName=table, Key=key(probe, probe)),
        "s3": lambda: s3().head_bucket(Bucket=bucket),
        "secrets": lambda: secretsmanager().get_secret_value(
            SecretId=secret_id, VersionStage="AWSCURRENT"
        ),
    }
    if origin_verify_secret_id:
        checks["origin-verify"] = lambda: secretsmanager().get_secret_value(
            SecretId=origin_verify_secret_id, VersionStage="AWSCURRENT"
        )
    return checks
