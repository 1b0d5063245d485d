"""The kit's health checker: bounded, cached, single flight; the same JSON on every server."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from polyregion.kit import HealthChecker


def test_all_ok_is_healthy_with_the_documented_shape() -> None:
    checker = HealthChecker("r1", {"a": lambda: None, "b": lambda: None}, timeout_s=1, cache_s=0)
    report = asyncio.run(checker.report())
    body = report.to_json()
    assert report.http_status == 200
    assert body["status"] == "healthy" and body["region"] == "r1"
    assert set(body["checks"]) == {"a", "b"}
    assert body["checks"]["a"]["status"] == "ok" and "error" not in body["checks"]["a"]
    assert body["timestamp"].endswith("+00:00")


def test_a_hung_check_is_abandoned_at_its_timeout() -> None:
    release = threading.Event()
    checker = HealthChecker(
        "r1", {"hang": lambda: release.wait(10), "ok": lambda: None}, timeout_s=0.2, cache_s=0
    )
    try:
        start = time.perf_counter()
        report = asyncio.run(checker.report())
        elapsed = time.perf_counter() - start
    finally:
        release.set()
    assert report.http_status == 503
    assert report.to_json()["status"] == "degraded"
    assert report.checks["hang"].status == "fail"
    assert "timed out after 200 ms" in (report.checks["hang"].error or "")
    assert report.checks["ok"].status == "ok"
    assert elapsed < 1.0  # 0.2 s bound plus honest slack for a busy machine


def test_failing_check_reports_its_error() -> None:
    def boom() -> None:
        raise ConnectionError("endpoint refused")

    report = asyncio.run(HealthChecker("r1", {"x": boom}, timeout_s=1, cache_s=0).report())
    assert report.checks["x"].error == "ConnectionError: endpoint refused"


@pytest.mark.parametrize("cache_s", [5.0])
def test_concurrent_callers_share_one_round_and_the_cache(cache_s: float) -> None:
    calls = 0
    lock = threading.Lock()

    def slow() -> None:
        nonlocal calls
        with lock:
            calls += 1
        time.sleep(0.05)

    checker = HealthChecker("r1", {"x": slow}, timeout_s=1, cache_s=cache_s)

    async def storm() -> list[str]:
        reports = await asyncio.gather(*(checker.report() for _ in range(50)))
        again = await checker.report()
        return [r.timestamp for r in [*reports, again]]

    stamps = asyncio.run(storm())
    assert calls == 1
    assert len(set(stamps)) == 1


def test_aws_error_messages_are_not_published() -> None:
    """The health JSON is public: an AccessDenied message names the account and the role."""
    from botocore.exceptions import ClientError

    message = (
        "User: arn:aws:sts::123456789012:assumed-role/polyregion-ssr/fn is not authorized "
        "to perform: secretsmanager:GetSecretValue"
    )

    def denied() -> None:
        raise ClientError(
            {"Error": {"Code": "AccessDeniedException", "Message": message}}, "GetSecretValue"
        )

    checker = HealthChecker("r1", {"secrets": denied}, timeout_s=1, cache_s=0)
    body = asyncio.run(checker.report()).to_json()
    assert body["checks"]["secrets"] == {
        "status": "fail",
        "duration_ms": body["checks"]["secrets"]["duration_ms"],
        "error": "AccessDeniedException",
    }
    assert "123456789012" not in str(body)


def test_the_sync_report_is_bounded_cached_and_shared_by_threads() -> None:
    """WSGI servers are threaded: 20 threads at once cost one round; a hung check fails at
    its bound and the others still report."""
    calls = 0
    lock = threading.Lock()
    release = threading.Event()

    def counted() -> None:
        nonlocal calls
        with lock:
            calls += 1

    checker = HealthChecker(
        "r1", {"hang": lambda: release.wait(10), "ok": counted}, timeout_s=0.2, cache_s=5
    )
    out: list[Any] = []
    start = time.perf_counter()
    threads = [
        threading.Thread(target=lambda: out.append(checker.report_sync())) for _ in range(20)
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(5)
    finally:
        release.set()
    elapsed = time.perf_counter() - start
    assert len(out) == 20 and len({r.timestamp for r in out}) == 1
    assert calls == 1
    report = out[0]
    assert report.http_status == 503
    assert report.checks["ok"].status == "ok"
    assert report.checks["hang"].error == "timed out after 200 ms"
    assert elapsed < 1.5  # one 0.2 s round, not twenty


def test_a_timeout_above_route53s_budget_is_refused() -> None:
    with pytest.raises(ValueError, match="Route 53"):
        HealthChecker("r1", {}, timeout_s=3)
