"""The edge as `up` runs it (`python -m polyregion.sandbox.edge`), against a real origin."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from polyregion.sandbox.route53.dns import DnsServer
from polyregion.sandbox.route53.resolver import PerLocationRecord, Route53Resolver
from polyregion.sandbox.route53.routing import Locator
from polyregion.topology import from_dict

pytestmark = pytest.mark.functional
ROOT = Path(__file__).resolve().parents[2]


async def echo(request: Request) -> JSONResponse:
    return JSONResponse({"viewer": request.headers.get("cloudfront-viewer-address")})


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@pytest.fixture
def edge_url() -> Iterator[str]:
    origin_port = _free_port("127.0.0.1")
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/{p:path}", echo)]),
            host="127.0.0.1",
            port=origin_port,
            log_level="critical",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    record = PerLocationRecord("origin.test", {}, ttl=60, default_ip="127.0.0.1")
    locator = Locator(from_dict({"app": {"name": "edgetest"}}))
    with DnsServer(Route53Resolver(lambda: None, locator, sources=[record])) as dns:
        port = _free_port("127.0.0.1")
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "polyregion.sandbox.edge", "--location=paris",
                "--subnet=203.0.113.0/24", "--host=127.0.0.1", f"--port={port}",
                "--origin-hostname=origin.test", f"--origin-port={origin_port}",
                "--dns-host=127.0.0.1", f"--dns-port={dns.port}",
            ],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    assert proc.poll() is None and time.monotonic() < deadline, "edge not up"
                    time.sleep(0.05)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(10)
            server.should_exit = True
            thread.join(10)


def test_a_viewer_cannot_choose_its_viewer_address(edge_url: str) -> None:
    """uvicorn trusts X-Forwarded-For from loopback peers by default, and every sandbox viewer
    is one: the edge must take the address of the connection, never the viewer's header."""
    with httpx.Client(trust_env=False, timeout=10) as http:
        r = http.get(f"{edge_url}/api/me", headers={"x-forwarded-for": "203.0.113.99"})
    assert r.status_code == 200
    assert r.json()["viewer"].startswith("127.0.0.1:")
