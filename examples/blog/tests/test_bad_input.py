"""Issue 15 item 10: hostile input is a 4xx, never a 500 or a 503 (which also cost other users
their kept-alive edge connection), and AWS errors that are bugs are not "retry shortly"."""

from __future__ import annotations

import logging
import uuid

import httpx
import pytest
from blog.asgi import create_app
from blog.settings import AppSettings
from botocore.exceptions import ClientError
from conftest import A, AppFactory, signup
from starlette.requests import Request
from starlette.routing import Route

from polyregion.topology import Topology

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def url(make_app: AppFactory) -> str:
    return make_app(A)


def test_deeply_nested_json_is_a_400(url: str) -> None:
    for path in ("/api/users", "/api/session"):
        r = httpx.post(f"{url}{path}", content=b"[" * 1000, headers=JSON)
        assert r.status_code == 400, (path, r.text)
        assert "nested" in r.json()["error"]
    with httpx.Client() as client:  # the post calls parse the body once signed in
        token = signup(client, url, f"deep-{uuid.uuid4().hex[:8]}")
        r = client.post(
            f"{url}/api/posts", content=b"[" * 1000, headers={**JSON, "x-csrf-token": token}
        )
    assert r.status_code == 400 and "nested" in r.json()["error"]


def test_a_lone_surrogate_in_a_password_is_a_400(url: str) -> None:
    name = f"surrogate-{uuid.uuid4().hex[:8]}"
    body = '{"username": "' + name + '", "password": "pass\\ud800word"}'
    for path in ("/api/users", "/api/session"):
        r = httpx.post(f"{url}{path}", content=body.encode(), headers=JSON)
        assert r.status_code == 400, (path, r.status_code, r.text)
        assert "password" in r.json()["error"]


def test_a_lone_surrogate_in_a_title_is_a_400(url: str) -> None:
    with httpx.Client() as client:
        token = signup(client, url, f"sur-{uuid.uuid4().hex[:8]}")
        r = client.post(
            f"{url}/api/posts",
            content=b'{"title": "bad \\udc80 title", "body": "text"}',
            headers={**JSON, "x-csrf-token": token},
        )
    assert r.status_code == 400, r.text
    assert "title" in r.json()["error"]


@pytest.mark.parametrize("key", ["covers/%00", "covers/a%00b/c.png", "covers/%ff%fe.png"])
def test_a_malformed_media_key_is_a_404(url: str, key: str) -> None:
    assert httpx.get(f"{url}/media/{key}").status_code == 404


def _app_raising(topo: Topology, moto_url: str, code: str, status: int) -> httpx.AsyncClient:
    app = create_app(
        AppSettings(topology=topo, region=A, endpoints={A: moto_url}, secure_cookies=False)
    )

    async def boom(_request: Request) -> None:
        raise ClientError(
            {
                "Error": {"Code": code, "Message": "detail"},
                "ResponseMetadata": {"HTTPStatusCode": status},
            },
            "PutItem",
        )

    app.router.routes.insert(0, Route("/api/boom", boom, methods=["GET"]))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


@pytest.mark.parametrize(
    ("code", "http", "expected"),
    [
        ("ValidationException", 400, 500),
        ("AccessDeniedException", 400, 500),
        ("ThrottlingException", 400, 503),
        ("ProvisionedThroughputExceededException", 400, 503),
        ("InternalServerError", 500, 503),
        ("ServiceUnavailable", 503, 503),
    ],
)
def test_aws_errors_that_are_bugs_are_500_and_the_code_is_logged(
    topo: Topology,
    moto_url: str,
    caplog: pytest.LogCaptureFixture,
    code: str,
    http: int,
    expected: int,
) -> None:
    import asyncio

    async def go() -> httpx.Response:
        async with _app_raising(topo, moto_url, code, http) as client:
            return await client.get("/api/boom")

    with caplog.at_level(logging.WARNING):
        r = asyncio.run(go())
    assert r.status_code == expected
    assert code in caplog.text
    if expected == 500:
        assert "retry" not in r.text
