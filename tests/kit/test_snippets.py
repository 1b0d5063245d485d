"""The Starlette, FastAPI and Flask examples of docs/kit.md, run as written against moto with
the app contract's environment."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from polyregion.data.clients import clients_for

DOC = Path(__file__).resolve().parents[2] / "docs" / "kit.md"
REGION = "eu-west-1"
ORIGIN = "snippet-origin-value-0123456789"
pytestmark = pytest.mark.functional


def snippet(name: str) -> str:
    match = re.search(rf"<!-- snippet: {name} -->\n```python\n(.*?)```", DOC.read_text(), re.S)
    assert match, f"docs/kit.md has no {name} snippet"
    return match.group(1)


@pytest.fixture(scope="module")
def contract(moto_url: str) -> dict[str, str]:
    clients = clients_for(REGION, {REGION: moto_url})
    ddb, sm = clients.dynamodb, clients.secretsmanager
    try:
        ddb.create_table(
            TableName="snip-notes",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        sm.create_secret(Name="snip/session-secret", SecretString="s" * 48)
        sm.create_secret(Name="snip/origin-verify", SecretString=ORIGIN)
    except (ddb.exceptions.ResourceInUseException, sm.exceptions.ResourceExistsException):
        pass
    return {
        "POLYREGION_REGION": REGION,
        "POLYREGION_REGIONS": REGION,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": moto_url,
        "POLYREGION_AWS_ENDPOINTS": json.dumps({REGION: moto_url}),
        "POLYREGION_TABLE_NOTES": "snip-notes",
        "POLYREGION_SECRET_SESSION": "snip/session-secret",
        "POLYREGION_ORIGIN_VERIFY_SECRET": "snip/origin-verify",
        "POLYREGION_SECURE_COOKIES": "0",
    }


def run(name: str, contract: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    for key, value in contract.items():
        monkeypatch.setenv(key, value)
    namespace: dict[str, Any] = {"__name__": f"snippet_{name}"}
    exec(compile(snippet(name), f"docs/kit.md:{name}", "exec"), namespace)  # noqa: S102
    return namespace["app"]


def asgi(app: Any, method: str, path: str, **kw: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.request(method, path, **kw)

    return asyncio.run(go())


EDGE = {"x-origin-verify": ORIGIN}


def eventually_healthy(get: Callable[[], Any]) -> Any:
    """On a machine this busy a first round can miss its 1 s bound (cold clients, the table
    check's one DescribeTable); the cache is 1 s, so a later round is a fresh one."""
    deadline = time.monotonic() + 10
    while True:
        r = get()
        if r.status_code == 200 or time.monotonic() > deadline:
            assert r.status_code == 200, r.text
            return r
        time.sleep(1.1)


def test_starlette(contract: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    app = run("starlette", contract, monkeypatch)
    r = eventually_healthy(lambda: asgi(app, "GET", "/api/health"))
    assert set(r.json()["checks"]) == {"table:notes", "secret:session", "origin-verify"}
    assert asgi(app, "GET", "/").status_code == 403
    assert asgi(app, "GET", "/", headers=EDGE).json() == {"region": REGION}


def test_fastapi(contract: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("fastapi")
    app = run("fastapi", contract, monkeypatch)
    eventually_healthy(lambda: asgi(app, "GET", "/api/health"))
    assert asgi(app, "GET", "/api/me").status_code == 403

    async def flow() -> Any:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=EDGE) as c:
            assert (await c.post("/api/sign-in")).status_code == 200
            return (await c.get("/api/me")).json()

    assert asyncio.run(flow()) == {"user": "alice", "region": REGION}


def test_flask(contract: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("flask")
    app = run("flask", contract, monkeypatch)
    client = app.test_client()
    health = eventually_healthy(lambda: client.get("/api/health"))
    assert health.json["status"] == "healthy"
    assert "origin-verify" in health.json["checks"]
    assert client.get("/").status_code == 403
    assert client.get("/", headers=EDGE).json == {"region": REGION}
