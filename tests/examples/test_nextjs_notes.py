"""The Next.js example against a real moto server with the contract's environment, no sandbox:
health, origin verification, the notes API and pages, bad input, and a hung dependency."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from tests.examples.nextjs import nextjs_app, require_built
from tests.support.silent import silent_server

pytestmark = pytest.mark.functional

REGION = "us-east-1"
HEADER = "x-origin-verify"
SECRET_ID = "nx/origin-verify"
SECRET_VALUE = "s3cr3t-value-from-secrets-manager"


def _env(moto_url: str) -> dict[str, str]:
    return {
        "POLYREGION_REGION": REGION,
        "POLYREGION_REGIONS": f"{REGION},eu-west-1",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": moto_url,
        "POLYREGION_TABLE_NOTES": "nx-notes",
        "POLYREGION_TABLE_AUDIT": "nx-audit",
        "POLYREGION_ORIGIN_VERIFY_SECRET": SECRET_ID,
        "POLYREGION_ORIGIN_VERIFY_HEADER": HEADER,
        "POLYREGION_SECURE_COOKIES": "0",
    }


@pytest.fixture(scope="module")
def aws(moto_url: str) -> dict[str, Any]:
    require_built()
    ddb = boto3.client("dynamodb", endpoint_url=moto_url, region_name=REGION)
    for name in ("nx-notes", "nx-audit"):
        ddb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    sm = boto3.client("secretsmanager", endpoint_url=moto_url, region_name=REGION)
    sm.create_secret(Name=SECRET_ID, SecretString=SECRET_VALUE)
    return {"ddb": ddb, "sm": sm}


@pytest.fixture(scope="module")
def app(
    aws: dict[str, Any], moto_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    log = tmp_path_factory.mktemp("nextjs") / "app.log"
    with nextjs_app(_env(moto_url), log) as url:
        yield url


def through_edge(**headers: str) -> dict[str, str]:
    return {HEADER: SECRET_VALUE, **headers}


def test_health_is_deep_and_open_without_the_origin_header(app: str) -> None:
    r = httpx.get(f"{app}/api/health", timeout=5)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "healthy" and body["region"] == REGION
    assert {k: v["status"] for k, v in body["checks"].items()} == {
        "dynamodb": "ok",
        "secrets": "ok",
    }
    assert r.headers["x-polyregion-region"] == REGION
    assert r.headers["cache-control"] == "no-store"


def test_origin_verify_refuses_what_did_not_come_through_the_edge(app: str) -> None:
    bare = httpx.get(f"{app}/", timeout=5)
    wrong = httpx.get(f"{app}/api/notes", headers={HEADER: "guess"}, timeout=5)
    for refused in (bare, wrong):
        assert refused.status_code == 403 and refused.text == "Forbidden"
        assert "x-polyregion-region" not in refused.headers
    ok = httpx.get(f"{app}/", headers=through_edge(), timeout=10)
    assert ok.status_code == 200 and ok.headers["x-polyregion-region"] == REGION
    assert f"served by {REGION}" in ok.text


def test_a_note_is_written_read_back_rendered_escaped_and_audited(
    app: str, aws: dict[str, Any]
) -> None:
    text = "<script>alert(1)</script> & friends"
    created = httpx.post(
        f"{app}/api/notes", json={"id": "n-1", "text": text}, headers=through_edge(), timeout=10
    )
    assert created.status_code == 201, created.text
    assert created.json()["region"] == REGION and created.headers["location"] == "/api/notes/n-1"
    read = httpx.get(f"{app}/api/notes/n-1", headers=through_edge(), timeout=10)
    assert read.status_code == 200 and read.json()["text"] == text
    for path in ("/notes/n-1", "/"):
        page = httpx.get(f"{app}{path}", headers=through_edge(), timeout=10)
        assert page.status_code == 200
        assert "<script>alert(1)" not in page.text
        assert "&lt;script&gt;alert(1)" in page.text
    # Without an id the server picks one.
    auto = httpx.post(f"{app}/api/notes", json={"text": "hi"}, headers=through_edge(), timeout=10)
    assert auto.status_code == 201 and len(auto.json()["id"]) == 36
    audit = aws["ddb"].scan(TableName="nx-audit")["Items"]
    assert {i["note_id"]["S"] for i in audit} >= {"n-1", auto.json()["id"]}


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'{"text": "x"}', "text/plain", 415),
        (b"{not json", "application/json", 400),
        (b'["a list"]', "application/json", 400),
        (b'{"id": "../etc", "text": "x"}', "application/json", 400),
        (b'{"id": "ok"}', "application/json", 400),
        (b'{"text": "' + b"x" * 2001 + b'"}', "application/json", 400),
        (b"x" * 20000, "application/json", 413),
    ],
)
def test_bad_input_is_a_clear_4xx(app: str, content: bytes, content_type: str, status: int) -> None:
    r = httpx.post(
        f"{app}/api/notes",
        content=content,
        headers=through_edge(**{"content-type": content_type}),
        timeout=10,
    )
    assert r.status_code == status, r.text
    assert r.json()["error"]


def test_unknown_notes_are_404(app: str) -> None:
    assert httpx.get(f"{app}/api/notes/nope", headers=through_edge(), timeout=10).status_code == 404
    assert httpx.get(f"{app}/notes/nope", headers=through_edge(), timeout=10).status_code == 404
    assert httpx.get(f"{app}/notes/a%20b", headers=through_edge(), timeout=10).status_code == 404


@pytest.fixture
def blackhole() -> Iterator[str]:
    """A TCP endpoint that accepts and never answers: a hung dependency."""
    with silent_server() as server:
        yield server.url


def test_a_hung_table_endpoint_is_503_within_2_s(
    aws: dict[str, Any], moto_url: str, blackhole: str, tmp_path: Path
) -> None:
    # AWS_ENDPOINT_URL_DYNAMODB wins over AWS_ENDPOINT_URL (the SDK's service-specific override):
    # DynamoDB hangs while Secrets Manager still answers.
    env = {**_env(moto_url), "AWS_ENDPOINT_URL_DYNAMODB": blackhole}
    with nextjs_app(env, tmp_path / "app.log") as url:
        started = time.monotonic()
        r = httpx.get(f"{url}/api/health", timeout=5)
        elapsed = time.monotonic() - started
    assert r.status_code == 503 and elapsed < 2.0, (r.status_code, elapsed)
    checks = r.json()["checks"]
    assert checks["dynamodb"]["status"] == "fail" and checks["dynamodb"]["error"] == "timeout"
    assert checks["secrets"]["status"] == "ok"


def test_a_missing_table_is_503_naming_only_the_error_code(
    aws: dict[str, Any], moto_url: str, tmp_path: Path
) -> None:
    env = {**_env(moto_url), "POLYREGION_TABLE_AUDIT": "nx-missing"}
    with nextjs_app(env, tmp_path / "app.log") as url:
        r = httpx.get(f"{url}/api/health", timeout=5)
    assert r.status_code == 503
    assert r.json()["checks"]["dynamodb"] == {
        "status": "fail",
        "duration_ms": r.json()["checks"]["dynamodb"]["duration_ms"],
        "error": "ResourceNotFoundException",
    }
