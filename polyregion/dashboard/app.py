"""The dashboard's ASGI app: one page, its static files, a live stream and the fault controls.

`create_app(control_url)` talks only to the sandbox's control API, so the same app runs on its
own (`polyregion dashboard`) or is started by `polyregion up`. Security: the page's scripts
come only from this origin (CSP), text reaches the DOM through `textContent` only, every
request must name a loopback host (DNS rebinding), and a fault needs the per-process token
from the page in a custom header (a cross-site form cannot set one, so no CSRF).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import secrets
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Final

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from polyregion.dashboard.control import ControlClient, ControlRejected, ControlUnavailable
from polyregion.dashboard.hub import Hub
from polyregion.sandbox.faults import FaultError
from polyregion.sandbox.faults import parse as parse_fault
from polyregion.sandbox.loopback import is_loopback_host, refuse_browser

STATIC: Final = Path(__file__).parent / "static"
CSRF_HEADER: Final = "x-polyregion-csrf"
MAX_BODY: Final = 16 * 1024
PING_S: Final = 1.0  # how often an idle stream tells the page the poller is alive
SECURITY_HEADERS: Final = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'self'; form-action 'none'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def create_app(
    control_url: str,
    *,
    interval_s: float = 0.5,
    coordinates: Mapping[str, tuple[float, float]] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    """The dashboard for the sandbox whose control API is at `control_url`.

    `coordinates` (name -> (lat, lon)) places the topology's user locations on the map when
    the status does not carry them; AWS regions have built-in coordinates.
    """
    hub = Hub(
        ControlClient(control_url, transport=transport),
        interval_s=interval_s,
        coordinates=coordinates,
    )
    token = secrets.token_urlsafe(32)
    page = (STATIC / "index.html").read_text(encoding="utf-8")

    async def index(request: Request) -> Response:
        base = request.scope.get("root_path", "").rstrip("/") + "/"
        # Both values are ours (a URL path and a url-safe token), yet still escaped by kind.
        html = page.replace("{{base}}", _attr(base)).replace("{{csrf}}", token)
        return HTMLResponse(html)

    async def state(request: Request) -> Response:
        hub.ensure_started()
        if hub.view()["updated_at"] is None:
            await hub.poll_once()
        return JSONResponse(hub.view())

    async def stream(request: Request) -> Response:
        hub.ensure_started()
        if hub.view()["updated_at"] is None:
            await hub.poll_once()
        return StreamingResponse(
            _sse(hub),
            media_type="text/event-stream",
            headers={"x-accel-buffering": "no"},
        )

    async def fault(request: Request) -> Response:
        # Only this page, from this server, drives faults: another site's page sends its own
        # Origin (its form or no-cors fetch is refused before the token is even looked at).
        refused = refuse_browser(
            "POST",
            request.headers.get("origin"),
            request.headers.get("content-type"),
            own_origin=f"http://{request.headers.get('host', '')}",
            what="dashboard",
        )
        if refused is not None:
            return _error(*refused)
        if not hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), token):
            return _error(403, "missing or wrong dashboard token: reload the page")
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _error(415, "send the fault as application/json")
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return _error(413, f"a fault is a small JSON object (at most {MAX_BODY} bytes)")
        try:
            body = json.loads(raw)
        except ValueError:
            return _error(400, "the body is not valid JSON")
        if not hub.region_names:
            await hub.poll_once()
        # The sandbox's own validation (one definition of a fault for CLI, API and page), run
        # here too so a mistake is explained before anything is sent.
        try:
            req = parse_fault(body, hub.region_names)
        except FaultError as exc:
            return _error(400, str(exc))
        payload = {k: v for k, v in req.to_json().items() if k != "command"}
        try:
            result = await hub.control.fault(payload)
        except ControlRejected as exc:
            return _error(400 if exc.status_code < 500 else 502, f"sandbox refused: {exc}")
        except ControlUnavailable as exc:
            return _error(502, str(exc))
        hub.poke()
        return JSONResponse({"ok": True, "cli": req.command, "result": result})

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await hub.aclose()

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/api/state", state),
            Route("/api/stream", stream),
            Route("/api/fault", fault, methods=["POST"]),
            Route("/api/health", health),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        lifespan=lifespan,
    )
    app.state.hub = hub  # the supervisor may close it when it mounts the app without lifespan
    app.add_middleware(LoopbackOnly)
    return app


async def _sse(hub: Hub) -> AsyncIterator[str]:
    async with hub.subscribe() as sub:
        # `retry` sets the browser's reconnect delay; the page adds its own backoff on top.
        yield f"retry: 1000\n\n{_event('state', hub.message)}"
        while True:
            try:
                message = await asyncio.wait_for(sub.next(), timeout=PING_S)
                if message is None:
                    return  # shutting down: end the response so the server can stop
            except TimeoutError:
                # States are only sent on change; the ping keeps the page's "updated" time and
                # its watchdog honest. Writing it is also how a vanished client is noticed.
                yield _event("ping", hub.heartbeat())
                continue
            yield _event("state", message)


def _event(name: str, data: str) -> str:
    # SSE framing is three lines of text; JSON from json.dumps holds no raw newline.
    return f"event: {name}\ndata: {data}\n\n"


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message}, status_code=status)


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


class LoopbackOnly:
    """Refuse requests whose Host is not loopback (DNS rebinding); add security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        if not is_loopback_host(host):
            response = _error(421, f"the dashboard serves loopback hosts only, not {host!r}")
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
