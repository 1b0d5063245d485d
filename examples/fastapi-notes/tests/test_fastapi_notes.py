"""The FastAPI notes example against moto, started the way the sandbox starts it: `python
app.py` from its directory with the app contract's environment, one process per region."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import tests.conftest  # noqa: F401 (dummy AWS credentials: never real AWS)
from polyregion.data.clients import RegionClients, clients_for
from tests.support.moto import FAKE_CREDENTIALS, free_port, moto_server

pytest.importorskip("fastapi")
APP_DIR = Path(__file__).resolve().parents[1]
ROOT = APP_DIR.parents[1]
A, B = "us-east-1", "eu-west-1"
ORIGIN_VALUE = "origin-verify-value-0123456789abcdef"
pytestmark = pytest.mark.functional


def provision(clients: RegionClients) -> None:
    ddb = clients.dynamodb
    tables = {"notes-notes": (("id", "S"),), "notes-audit": (("region", "S"), ("at", "S"))}
    for name, keys in tables.items():
        ddb.create_table(
            TableName=name,
            KeySchema=[
                {"AttributeName": a, "KeyType": "HASH" if i == 0 else "RANGE"}
                for i, (a, _) in enumerate(keys)
            ],
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": t} for a, t in keys],
            BillingMode="PAY_PER_REQUEST",
        )
    sm = clients.secretsmanager
    sm.create_secret(Name="notes/session-secret", SecretString="s" * 48)
    sm.create_secret(Name="notes/origin-verify", SecretString=ORIGIN_VALUE)


def contract_env(region: str, port: int, endpoints: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POLYREGION_"))}
    env.update(FAKE_CREDENTIALS)
    env.update(
        {
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "POLYREGION_REGION": region,
            "POLYREGION_REGIONS": f"{A},{B}",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ENDPOINT_URL": endpoints[region],
            "POLYREGION_AWS_ENDPOINTS": json.dumps(endpoints),
            "POLYREGION_TABLE_NOTES": "notes-notes",
            "POLYREGION_TABLE_AUDIT": "notes-audit",
            "POLYREGION_SECRET_SESSION": "notes/session-secret",
            "POLYREGION_ORIGIN_VERIFY_SECRET": "notes/origin-verify",
            "POLYREGION_SECURE_COOKIES": "0",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@pytest.fixture(scope="module")
def regions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Both regions' apps against one moto (regions isolated inside it, no replication)."""
    logs = tmp_path_factory.mktemp("notes")
    with moto_server() as url:
        endpoints = {A: url, B: url}
        for region in (A, B):
            provision(clients_for(region, endpoints))
        procs, urls = [], {}
        try:
            for region in (A, B):
                port = free_port("127.0.0.1")
                log = (logs / f"{region}.log").open("wb")
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "app.py"],
                        cwd=APP_DIR,
                        env=contract_env(region, port, endpoints),
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
                urls[region] = f"http://127.0.0.1:{port}"
            for region, base in urls.items():
                wait_healthy(base, logs / f"{region}.log")
            yield urls
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(10)


def wait_healthy(base: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/health", timeout=3).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{base} never became healthy:\n{log.read_text()[-2000:]}")


EDGE = {"x-origin-verify": ORIGIN_VALUE}


def test_health_is_deep_and_follows_the_contract(regions: dict[str, str]) -> None:
    r = httpx.get(f"{regions[B]}/api/health", timeout=5)
    body = r.json()
    assert r.status_code == 200 and body["status"] == "healthy" and body["region"] == B
    assert set(body["checks"]) == {"table:notes", "table:audit", "secret:session", "origin-verify"}


def test_only_requests_through_the_edge_get_in(regions: dict[str, str]) -> None:
    assert httpx.get(f"{regions[A]}/api/notes").status_code == 403
    assert httpx.get(f"{regions[A]}/api/notes", headers={"x-origin-verify": "x"}).status_code == 403
    assert httpx.get(f"{regions[A]}/api/notes", headers=EDGE).status_code == 200


def test_a_writer_reads_their_own_write_in_the_other_region(regions: dict[str, str]) -> None:
    """No replicator here: B's replica never gets the note, so B reads it from A (the
    read-your-writes fallback) for the writer, and others in B do not see it."""
    with httpx.Client(headers=EDGE, timeout=10) as browser:
        r = browser.post(f"{regions[A]}/api/notes", json={"id": "n1", "text": "hello"})
        assert r.status_code == 201 and r.json()["version"] == 1
        mine = browser.get(f"{regions[A]}/api/notes/n1")
        assert mine.status_code == 200 and mine.json()["read_source"] == "local"
        there = browser.get(f"{regions[B]}/api/notes/n1")
        assert there.status_code == 200, there.text
        assert there.json()["text"] == "hello"
        assert there.json()["region"] == B and there.headers["x-polyregion-read"] == "write-region"
    assert httpx.get(f"{regions[B]}/api/notes/n1", headers=EDGE).status_code == 404


def test_bad_input_is_a_4xx(regions: dict[str, str]) -> None:
    post = f"{regions[A]}/api/notes"
    assert httpx.post(post, json={"id": "../x", "text": "t"}, headers=EDGE).status_code == 422
    assert httpx.post(post, json={"text": ""}, headers=EDGE).status_code == 422
    assert httpx.post(post, content=b"[" * 1000, headers=EDGE).status_code == 422
