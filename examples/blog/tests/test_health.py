from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from conftest import A, AppFactory, FaultyProxy

from polyregion.data.clients import RegionClients
from polyregion.topology import Topology, from_dict, naming

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
