"""The edge against a real origin server (uvicorn on a loopback port), through its real pool."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from polyregion.sandbox.edge import Edge, EdgeConfig
from polyregion.sandbox.origin_pool import OriginPool
from tests.sandbox.test_edge import FixedResolver

pytestmark = pytest.mark.anyio
PAGE = b"<p>" + b"x" * 5000 + b"</p>"


async def page(request: Request) -> Response:
    return Response(PAGE, media_type="text/html")


async def session(request: Request) -> Response:
    if int(request.headers.get("content-length", "0")) > 64 * 1024:
        # As the app's ContentLengthGate: refuse before reading, and close (body unread).
        return PlainTextResponse("too large", status_code=413, headers={"connection": "close"})
    await request.body()
    return PlainTextResponse("signed in")


def _deep(n: int) -> None:
    if n == 0:
        raise RecursionError("a bug in the origin, deep down")
    _deep(n - 1)


async def boom(request: Request) -> Response:
    # Starlette answers 500 and re-raises; uvicorn logs the (long) traceback and only then
    # closes the connection: a kept-alive connection reused meanwhile loses its request.
    _deep(600)
    return Response()


async def slow(request: Request) -> Response:
    await asyncio.sleep(0.05)
    return PlainTextResponse("slow")


ORIGIN = Starlette(
    routes=[
        Route("/", page, methods=["GET", "HEAD"]),
        Route("/api/session", session, methods=["POST"]),
        Route("/boom", boom),
        Route("/slow", slow),
    ]
)


@pytest.fixture
def origin_port() -> Iterator[int]:
    """uvicorn in its own thread and event loop: the origin reads, answers and closes
    concurrently with the edge's writes, as a separate process does."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(
        # log_level "error": uvicorn formats each 500's traceback before closing, as in the
        # sandbox, which is the window in which a reused connection loses its request.
        uvicorn.Config(ORIGIN, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield port
    server.should_exit = True
    thread.join(10)


def edge_for(port: int) -> Edge:
    config = EdgeConfig(
        location="paris",
        subnet=ipaddress.IPv4Network("203.0.113.0/24"),
        origin_hostname="origin.example.com",
        origin_port=port,
        dns_host="127.0.0.1",
        dns_port=1,
        response_timeout_s=5.0,
    )
    return Edge(config, resolver=FixedResolver(ip="127.0.0.1"))


def viewer(edge: Edge) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=edge), base_url="http://edge")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_the_origins_early_413_is_passed_through_every_time(origin_port: int) -> None:
    """A body between the origin's limit and the edge's 6 MB: the origin answers 413 before
    reading it and closes; the viewer must get that 413, never a 502 (issue 15, item 9)."""
    edge = edge_for(origin_port)
    body = b"{" + b" " * (3 * 1024 * 1024) + b"}"
    async with viewer(edge) as v:
        statuses = [(await v.post("/api/session", content=body)).status_code for _ in range(10)]
        after = await v.get("/")
    assert statuses == [413] * 10
    assert after.status_code == 200


async def test_head_keeps_the_origins_content_length(origin_port: int) -> None:
    async with viewer(edge_for(origin_port)) as v:
        head = await v.head("/")
        get = await v.get("/")
    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(PAGE)) == get.headers["content-length"]
    assert head.content == b""


async def test_an_origin_500_never_gives_other_viewers_a_502(origin_port: int) -> None:
    """uvicorn closes the connection after an unhandled exception; requests of other viewers
    in flight or about to reuse that kept-alive connection must still be answered."""
    edge = edge_for(origin_port)
    async with viewer(edge) as v:

        async def others() -> list[int]:
            return [(await v.get(p)).status_code for p in ("/", "/", "/slow") * 10]

        async def bugs() -> list[int]:
            return [(await v.get("/boom")).status_code for _ in range(30)]

        results = await asyncio.gather(*(others() for _ in range(30)), *(bugs() for _ in range(4)))
    assert {s for r in results[-4:] for s in r} == {500}
    assert {s for r in results[:-4] for s in r} == {200}


async def test_connections_are_kept_alive_and_not_after_a_500(origin_port: int) -> None:
    pool = OriginPool(connect_timeout_s=2.0, response_timeout_s=5.0)
    try:
        for _ in range(20):
            r = await pool.request("127.0.0.1", origin_port, "GET", "/", [("host", "o")], b"")
            assert r.status == 200 and r.body == PAGE
        head = await pool.request("127.0.0.1", origin_port, "HEAD", "/", [("host", "o")], b"")
        assert head.status == 200 and head.body == b""
        assert pool.opened == 1  # one connection for all of them
        bug = await pool.request("127.0.0.1", origin_port, "GET", "/boom", [("host", "o")], b"")
        assert bug.status == 500
        await pool.request("127.0.0.1", origin_port, "GET", "/", [("host", "o")], b"")
        assert pool.opened == 2  # the connection that answered 500 was not reused
    finally:
        await pool.aclose()
