from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import pytest
from blog.health import HealthChecker
from conftest import A, AppFactory, FaultyProxy

from polyregion.data.clients import RegionClients
from polyregion.topology import Topology, from_dict, naming


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


# -- the real endpoint, against moto and against broken dependencies -----------------------


@pytest.mark.functional
def test_healthy_region_answers_200_with_every_check(make_app: AppFactory) -> None:
    url = make_app(A)
    r = httpx.get(f"{url}/api/health")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "healthy" and body["region"] == A
    assert {k: v["status"] for k, v in body["checks"].items()} == {
        "dynamodb": "ok",
        "s3": "ok",
        "secrets": "ok",
    }
    assert r.headers["x-polyregion-region"] == A
    assert r.headers["cache-control"] == "no-store"


def no_cache(topo: Topology) -> Topology:
    return from_dict({"app": {"name": topo.name}, "health": {"cache_s": 0}})


def warmed(url: str) -> str:
    """One probe first: a cold process builds its boto3 clients (outside the check bounds)."""
    httpx.get(f"{url}/api/health", timeout=10)
    return url


@pytest.mark.functional
def test_hung_dependency_gives_503_well_inside_two_seconds(
    make_app: AppFactory, hanging_endpoint: str, topo: Topology
) -> None:
    url = warmed(make_app(A, topology=no_cache(topo), endpoints={A: hanging_endpoint}))
    start = time.perf_counter()
    r = httpx.get(f"{url}/api/health", timeout=5)
    elapsed = time.perf_counter() - start
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "degraded"
    assert all(c["status"] == "fail" for c in body["checks"].values())
    assert "timed out after 1000 ms" in body["checks"]["dynamodb"]["error"]
    assert elapsed < 1.7  # check_timeout_ms = 1000 (default); Route 53 gives up at 2 s
    # the liveness probe does not touch dependencies
    start = time.perf_counter()
    assert httpx.get(f"{url}/api/health/live").status_code == 200
    assert time.perf_counter() - start < 0.5


@pytest.mark.functional
def test_refused_dependency_gives_503_fast(
    make_app: AppFactory, refusing_endpoint: str, topo: Topology
) -> None:
    url = warmed(make_app(A, topology=no_cache(topo), endpoints={A: refusing_endpoint}))
    start = time.perf_counter()
    r = httpx.get(f"{url}/api/health", timeout=5)
    assert r.status_code == 503
    assert time.perf_counter() - start < 1.7
    assert "Could not connect" in r.json()["checks"]["s3"]["error"]


@pytest.mark.functional
def test_only_the_failing_dependency_is_reported(
    make_app: AppFactory, moto_url: str, system: dict[str, RegionClients]
) -> None:
    # A region whose bucket and secret exist but whose global table does not.
    partial: Topology = from_dict({"app": {"name": "t-health-partial"}})
    clients: Any = system[A]
    clients.s3.create_bucket(Bucket=naming.bucket(partial, A))
    clients.secretsmanager.create_secret(Name=naming.session_secret(partial), SecretString="x" * 40)
    url = make_app(A, topology=partial)
    body = httpx.get(f"{url}/api/health").json()
    assert body["checks"]["s3"]["status"] == "ok"
    assert body["checks"]["secrets"]["status"] == "ok"
    assert body["checks"]["dynamodb"]["status"] == "fail"
    assert "ResourceNotFoundException" in body["checks"]["dynamodb"]["error"]


@pytest.mark.functional
def test_one_region_goes_healthy_down_and_back(
    make_app: AppFactory, faulty_moto: FaultyProxy, topo: Topology
) -> None:
    """The same running app: ok -> DynamoDB/S3/Secrets hang -> 503 in time -> ok again."""
    url = warmed(make_app(A, topology=no_cache(topo), endpoints={A: faulty_moto.url}))
    assert httpx.get(f"{url}/api/health").status_code == 200
    faulty_moto.set("hang")
    start = time.perf_counter()
    r = httpx.get(f"{url}/api/health", timeout=5)
    assert r.status_code == 503
    assert time.perf_counter() - start < 1.7
    faulty_moto.set("drop")
    assert httpx.get(f"{url}/api/health", timeout=5).status_code == 503
    faulty_moto.set("pass")
    assert httpx.get(f"{url}/api/health", timeout=5).status_code == 200


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
