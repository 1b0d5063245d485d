"""The health checker served: a Starlette/FastAPI route, a Flask view, a WSGI app."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import httpx
from starlette.applications import Starlette

from polyregion.kit import HealthChecker, health_route, health_view, health_wsgi


def test_the_starlette_route_answers_the_contract_json() -> None:
    down = threading.Event()

    def dep() -> None:
        if down.is_set():
            raise ConnectionError("refused")

    checker = HealthChecker("eu-west-1", {"dep": dep}, timeout_s=1, cache_s=0)
    app = Starlette(routes=[health_route(checker, "/healthz")])

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get("/healthz")

    r = asyncio.run(get())
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert r.json()["status"] == "healthy" and r.json()["region"] == "eu-west-1"
    down.set()
    r = asyncio.run(get())
    assert r.status_code == 503
    assert r.json()["checks"]["dep"] == {
        "status": "fail",
        "duration_ms": r.json()["checks"]["dep"]["duration_ms"],
        "error": "ConnectionError: refused",
    }


def test_the_flask_view_and_the_wsgi_app_answer_the_same_json() -> None:
    def boom() -> None:
        raise ConnectionError("refused")

    checker = HealthChecker("r1", {"ok": lambda: None, "bad": boom}, timeout_s=1, cache_s=0)
    body, status, headers = health_view(checker)()
    assert status == 503 and headers["content-type"] == "application/json"
    assert json.loads(body)["status"] == "degraded"
    assert json.loads(body)["checks"]["ok"]["status"] == "ok"

    started: list[Any] = []
    chunks = health_wsgi(checker)(
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/health"}, lambda *a: started.append(a)
    )
    assert started[0][0] == "503 Service Unavailable"
    assert json.loads(b"".join(chunks))["checks"]["bad"]["error"] == "ConnectionError: refused"
