"""The health checker as a web endpoint: a Starlette/FastAPI route, a Flask view, a WSGI app.

All answer the contract's JSON with 200 (healthy) or 503 (degraded), `cache-control: no-store`
(a cached "healthy" would hide an outage from Route 53), for GET and HEAD.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from polyregion.kit.health import HealthChecker, HealthReport

HEADERS = {"cache-control": "no-store"}
WSGIStartResponse = Callable[..., Any]


def health_endpoint(checker: HealthChecker) -> Callable[[Request], Awaitable[Response]]:
    """An async endpoint: `app.add_route("/api/health", health_endpoint(checker))`."""

    async def health(request: Request) -> Response:
        report = await checker.report()
        return JSONResponse(report.to_json(), status_code=report.http_status, headers=HEADERS)

    return health


def health_route(checker: HealthChecker, path: str = "/api/health") -> Route:
    """A Starlette `Route` (FastAPI too: `app.router.routes.append(...)`)."""
    return Route(path, health_endpoint(checker), methods=["GET", "HEAD"], name="health")


def _body(report: HealthReport) -> str:
    return json.dumps(report.to_json(), separators=(",", ":"))


def health_view(checker: HealthChecker) -> Callable[[], tuple[str, int, dict[str, str]]]:
    """A Flask view: `app.add_url_rule("/api/health", view_func=health_view(checker))`.

    Returns Flask's (body, status, headers) tuple, so Flask itself is never imported here."""

    def health() -> tuple[str, int, dict[str, str]]:
        report = checker.report_sync()
        return _body(report), report.http_status, {"content-type": "application/json", **HEADERS}

    return health


def health_wsgi(
    checker: HealthChecker,
) -> Callable[[dict[str, Any], WSGIStartResponse], Iterable[bytes]]:
    """A bare WSGI app answering the report (mount it at the health path)."""

    def app(environ: dict[str, Any], start_response: WSGIStartResponse) -> Iterable[bytes]:
        report = checker.report_sync()
        body = _body(report).encode()
        status = "200 OK" if report.healthy else "503 Service Unavailable"
        headers = [
            ("content-type", "application/json"),
            ("content-length", str(len(body))),
            *HEADERS.items(),
        ]
        start_response(status, headers)
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]

    return app
