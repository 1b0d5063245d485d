"""The edge's CloudFront behaviours, against an in-memory origin (no sockets, no DNS)."""

from __future__ import annotations

import ipaddress
import time
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from polyregion.sandbox.edge import Edge, EdgeConfig, EdgeLimits
from polyregion.sandbox.edge_cache import EdgeCache
from polyregion.sandbox.origin_pool import (
    OriginConnectError,
    OriginProtocolError,
    OriginResponse,
    OriginTimeout,
)
from polyregion.sandbox.resolver import Answer, LocationResolver, ResolveError
from tests.support.clock import Clock

pytestmark = pytest.mark.anyio

SEEN: list[dict[str, Any]] = []


async def echo(request: Request) -> Response:
    body = await request.body()
    SEEN.append(
        {
            "path": request.url.path,
            "query": request.url.query,
            "headers": dict(request.headers),
            "body": body,
            "method": request.method,
        }
    )
    if request.url.path == "/static/app.css":
        return PlainTextResponse(
            "body{}", headers={"cache-control": "max-age=2", "set-cookie": "tracker=1"}
        )
    if request.url.path == "/static/nocc.js":
        return PlainTextResponse("js")
    return JSONResponse(
        {"ok": True},
        headers={"set-cookie": "pr_session=abc; HttpOnly", "cache-control": "no-store"},
    )


ORIGIN = Starlette(
    routes=[Route("/{path:path}", echo, methods=["GET", "POST", "HEAD", "PUT", "DELETE"])]
)


class FixedResolver(LocationResolver):
    def __init__(self, ip: str = "127.0.1.1", fail: bool = False) -> None:
        super().__init__(
            "origin.example.com", ipaddress.IPv4Network("203.0.113.0/24"), "127.0.0.1", 1
        )
        self.ip = ip
        self.fail = fail

    async def resolve(self) -> Answer:
        if self.fail:
            raise ResolveError("no answer")
        self.current = Answer(self.ip, 60, time.time(), self.clock() + 60)
        return self.current


class HttpxOrigin:
    """The edge's OriginClient over an httpx transport: an in-memory origin for these tests
    (tests/sandbox/test_origin_pool.py covers the real pool against a real server)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def request(
        self,
        ip: str,
        port: int,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> OriginResponse:
        request = httpx.Request(
            method, f"http://{ip}:{port}{target}", headers=headers, content=body
        )
        try:
            r = await self.client.send(request)
        except httpx.ConnectError as exc:
            raise OriginConnectError(str(exc)) from exc
        except httpx.TimeoutException as exc:
            raise OriginTimeout(str(exc)) from exc
        except httpx.HTTPError as exc:
            raise OriginProtocolError(str(exc)) from exc
        return OriginResponse(r.status_code, r.headers.multi_items(), r.content)

    async def aclose(self) -> None:
        await self.client.aclose()


def make_edge(
    *, transport: httpx.AsyncBaseTransport | None = None, clock: Clock | None = None, **kw: Any
) -> Edge:
    config = EdgeConfig(
        location="paris",
        subnet=ipaddress.IPv4Network("203.0.113.0/24"),
        origin_hostname="origin.example.com",
        origin_port=8000,
        dns_host="127.0.0.1",
        dns_port=1,
        response_timeout_s=0.3,
        **kw,
    )
    client = httpx.AsyncClient(
        transport=transport or httpx.ASGITransport(app=ORIGIN),
        timeout=httpx.Timeout(0.3),
    )
    return Edge(
        config,
        resolver=FixedResolver(),
        origin=HttpxOrigin(client),
        cache=EdgeCache(clock=clock or Clock()),
    )


def viewer(edge: Edge) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=edge), base_url="http://edge")


@pytest.fixture(autouse=True)
def _clear() -> None:
    SEEN.clear()


async def test_static_asset_is_cached_per_max_age_with_age_and_x_cache() -> None:
    clock = Clock()
    edge = make_edge(clock=clock)
    async with viewer(edge) as v:
        first = await v.get("/static/app.css?v=1", headers={"cookie": "pr_session=s"})
        clock.now += 1
        second = await v.get("/static/app.css?v=2")
        clock.now += 1.5  # 2.5 s after the first fetch: past max-age=2
        third = await v.get("/static/app.css")
    assert first.headers["x-cache"] == "Miss from cloudfront"
    assert second.headers["x-cache"] == "Hit from cloudfront"
    assert second.headers["age"] == "1"
    assert third.headers["x-cache"] == "Miss from cloudfront"
    assert second.text == "body{}"
    assert "set-cookie" not in first.headers  # cookies are not forwarded: Set-Cookie stripped
    assert len(SEEN) == 2
    # CachingOptimized: no cookies and no query string reach the origin.
    assert SEEN[0]["query"] == ""
    assert "cookie" not in SEEN[0]["headers"]
    assert SEEN[0]["headers"]["host"] == "origin.example.com"


async def test_static_without_cache_control_gets_the_default_ttl() -> None:
    clock = Clock()
    edge = make_edge(clock=clock)
    async with viewer(edge) as v:
        await v.get("/static/nocc.js")
        clock.now += 3600
        again = await v.get("/static/nocc.js")
    assert again.headers["x-cache"] == "Hit from cloudfront"
    assert again.headers["age"] == "3600"


async def test_dynamic_and_api_are_never_cached_and_forward_cookies_and_query() -> None:
    edge = make_edge()
    async with viewer(edge) as v:
        for _ in range(2):
            r = await v.get("/api/posts?page=2", headers={"cookie": "pr_session=s1"})
            assert r.headers["x-cache"] == "Miss from cloudfront"
        page = await v.post("/posts", content=b"title=x", headers={"cookie": "pr_session=s1"})
    assert len(SEEN) == 3
    assert SEEN[0]["query"] == "page=2"
    assert SEEN[0]["headers"]["cookie"] == "pr_session=s1"
    assert SEEN[0]["headers"]["host"] == "origin.example.com"
    assert "x-forwarded-for" in SEEN[0]["headers"]
    assert SEEN[2]["body"] == b"title=x"
    assert page.headers["set-cookie"].startswith("pr_session=abc")


async def test_the_viewer_address_is_the_edges_own_never_the_viewers() -> None:
    edge = make_edge()
    forged = {"cloudfront-viewer-address": "198.51.100.1:1", "x-forwarded-for": "198.51.100.2"}
    async with viewer(edge) as v:
        await v.get("/api/posts", headers=forged)
    # As CloudFront: "ip:port" of the connection it accepted (ASGITransport's peer).
    assert SEEN[0]["headers"]["cloudfront-viewer-address"] == "127.0.0.1:123"


async def test_static_behavior_refuses_post() -> None:
    async with viewer(make_edge()) as v:
        r = await v.post("/static/app.css", content=b"x")
    assert r.status_code == 403
    assert SEEN == []


async def test_limits_url_headers_and_body() -> None:
    edge = make_edge(limits=EdgeLimits(max_body_bytes=1000))
    async with viewer(edge) as v:
        assert (await v.get("/" + "a" * 9000)).status_code == 414
        assert (await v.get("/", headers={"x-big": "b" * 21000})).status_code == 413
        assert (await v.post("/api/x", content=b"z" * 1001)).status_code == 413
        assert (await v.post("/api/x", content=b"z" * 1000)).status_code == 200


async def test_origin_down_gives_502_and_timeout_504() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    edge = make_edge(transport=httpx.MockTransport(refuse))
    async with viewer(edge) as v:
        r = await v.get("/")
    assert r.status_code == 502
    assert r.headers["x-cache"] == "Error from cloudfront"

    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("origin did not answer", request=request)

    async with viewer(make_edge(transport=httpx.MockTransport(hang))) as v:
        r = await v.get("/")
    assert r.status_code == 504


async def test_dns_failure_is_a_502_and_state_shows_the_answer() -> None:
    edge = make_edge()
    edge.resolver = FixedResolver(fail=True)
    async with viewer(edge) as v:
        assert (await v.get("/")).status_code == 502
        edge.resolver = FixedResolver(ip="127.0.2.1")
        await v.get("/")
        state = (await v.get("/_sandbox/edge")).json()
    assert state["answer"]["ip"] == "127.0.2.1"
    assert state["location"] == "paris"


async def test_one_viewers_cookies_never_reach_another_viewer() -> None:
    """The edge's shared connection pool must not keep a cookie jar (sessions would leak)."""
    edge = make_edge()
    async with viewer(edge) as alice:
        r = await alice.get("/api/me")
        assert r.headers["set-cookie"].startswith("pr_session=abc")
    async with viewer(edge) as bob:
        await bob.get("/api/me")
    assert "cookie" not in SEEN[-1]["headers"]


async def test_a_non_loopback_dns_answer_is_never_connected_to() -> None:
    """Records can be added through the local Route 53 API; only loopback is a destination."""
    attempted: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        attempted.append(str(request.url))
        return httpx.Response(200, stream=httpx.ByteStream(b"reached"))

    edge = make_edge(transport=httpx.MockTransport(record))
    async with viewer(edge) as v:
        edge.resolver = FixedResolver(ip="198.51.100.7")
        refused = await v.get("/")
        edge.resolver = FixedResolver(ip="127.0.2.1")
        allowed = await v.get("/")
    assert refused.status_code == 502
    assert "198.51.100.7" in refused.text and "loopback" in refused.text
    assert allowed.status_code == 200
    assert attempted == ["http://127.0.2.1:8000/"]


async def test_the_origin_verify_header_goes_to_the_origin_and_overrides_a_viewers_copy() -> None:
    edge = make_edge(origin_verify=("x-origin-verify", "edge-secret"))
    assert "edge-secret" not in repr(edge.config)  # never in a log line that prints the config
    async with viewer(edge) as v:
        await v.get("/api/posts", headers={"x-origin-verify": "forged"})
        await v.get("/static/nocc.js")  # the sandbox's static files come from the same origin
    assert [s["headers"]["x-origin-verify"] for s in SEEN] == ["edge-secret", "edge-secret"]
