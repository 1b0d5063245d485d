"""The ASGI application factory: `create_app(settings)`.

Every response, errors included, carries `x-polyregion-region` and the security headers;
dynamic responses default to `cache-control: no-store` (they depend on the session cookie),
static files are immutable and long-cached under a content-hashed path so the edge can keep
them.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from blog import api, drill_writes, pages
from blog.consistency import StillReplicating
from blog.context import AppContext, ClientFactory, default_clients
from blog.settings import AppSettings, settings_from_env
from blog.web import STATIC_DIR, asset_version, render, wants_json
from polyregion.data.items import Clock
from polyregion.errors import DependencyError
from polyregion.kit.errors import aws_error_code, is_unavailable
from polyregion.kit.health_http import health_route
from polyregion.kit.origin import OriginGuard

log = logging.getLogger("blog")
REGION_HEADER = "x-polyregion-region"
STATIC_CACHE = "public, max-age=31536000, immutable"
# Every response: no framing (clickjacking of the sign-out and post forms), no MIME sniffing,
# and a CSP that only allows this origin's own files (the pages use no inline script or style),
# so an escaping slip could not run a script either.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        b"base-uri 'none'; frame-ancestors 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)


class RegionHeader:
    """Outermost layer, so even 413s and 500s say which region answered."""

    def __init__(self, app: ASGIApp, region: str) -> None:
        self.app = app
        self.region = region.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith("/static/")

        async def send_with_region(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"cache-control"]
                existing = [v for k, v in message.get("headers", []) if k == b"cache-control"]
                cache = STATIC_CACHE.encode() if static else (existing or [b"no-store"])[0]
                if static and message.get("status") != 200:
                    cache = b"no-store"
                headers += [(b"cache-control", cache), (REGION_HEADER.encode(), self.region)]
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_region)


class ContentLengthGate:
    """Refuse a declared oversized body before reading it, with a message that says the limit.

    Starlette's `max_body_size` (set on the app and the upload routes) still counts the bytes
    of bodies sent without Content-Length (chunked) and stops them at the same limits."""

    def __init__(self, app: ASGIApp, settings: AppSettings) -> None:
        self.app = app
        self.settings = settings

    def limit(self, method: str, path: str) -> int:
        if method == "POST" and path == drill_writes.PATH:
            return drill_writes.DRILL_BODY_BYTES
        upload = method == "POST" and (path == "/posts/new" or path.endswith("/edit"))
        return self.settings.upload_body_bytes if upload else self.settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            declared = Headers(scope=scope).get("content-length", "")
            limit = self.limit(scope["method"], scope["path"])
            if declared.isdigit() and int(declared) > limit:
                message = too_large(self.settings, scope["path"])
                response: Response
                if scope["path"].startswith("/api/"):
                    response = JSONResponse({"error": message}, status_code=413)
                else:
                    response = PlainTextResponse(message, status_code=413)
                response.headers["connection"] = "close"  # we did not read the body
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def too_large(settings: AppSettings, path: str = "") -> str:
    if path == drill_writes.PATH:
        return drill_writes.too_large()
    return (
        f"the request body is too large: the limit is {settings.max_body_bytes // 1024} KiB, "
        f"or {settings.upload_body_bytes // 1024} KiB for a post with a cover image"
    )


class AnonymousPages:
    """Serve signed-out GETs of cached pages (the list, post pages) before any routing.

    The views fill `page_cache` with the HTML every signed-out reader gets alike (no session,
    no CSRF token, no cookie); a request that carries a session cookie - valid or not - goes
    the full way. This is the app's read cache at its cheapest: no routing, no middleware.
    An expired page is still served while the one request told to refresh it renders the next
    (cache.py: stale-while-revalidate), so expiry never stalls the readers in flight."""

    def __init__(self, app: ASGIApp, context: AppContext) -> None:
        self.app = app
        self.cache = context.page_cache
        self.cookie = context.settings.topology.session.cookie_name.encode() + b"="

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not self._has_session(scope):
            # A stale page is served too, while one request (refresh) renders the next one.
            hit, body, refresh = self.cache.lookup(scope["path"])
            if hit and body is not None and not refresh:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [
                            (b"content-type", b"text/html; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            (b"x-polyregion-read", b"cache"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def _has_session(self, scope: Scope) -> bool:
        return any(name == b"cookie" and self.cookie in value for name, value in scope["headers"])


class RegionalApp(Starlette):
    region: str = ""
    context: AppContext | None = None

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        if self.context is not None:
            stack = AnonymousPages(ContentLengthGate(stack, self.context.settings), self.context)
        stack = RegionHeader(stack, self.region)
        if self.context is not None and self.context.origin_keys is not None:
            # Outermost: a request that bypassed the edge learns nothing, not even the region.
            health = self.context.settings.topology.health.path
            stack = OriginGuard(
                stack,
                header=self.context.settings.verify_header,
                keys=self.context.origin_keys,
                open_paths=frozenset({health, f"{health.rstrip('/')}/live"}),
                # A region that cannot read the value refuses every request: health says so.
                health=self.context.health,
            )
        return stack


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail
    if exc.status_code == 413:
        detail = too_large(request.app.state.ctx.settings, request.url.path)
    if wants_json(request):
        return JSONResponse({"error": detail}, status_code=exc.status_code, headers=exc.headers)
    if exc.status_code == 404 and detail == "Not Found":  # Starlette's phrase for no route
        detail = f"there is no page at {request.url.path}"
    response = await render(
        request, "error.html", status_code=exc.status_code, status=exc.status_code, message=detail
    )
    response.headers.update(exc.headers or {})  # e.g. Retry-After of a 429
    return response


async def _unavailable(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, StillReplicating | DependencyError) and not is_unavailable(exc):
        # An AWS error retrying cannot fix (AccessDenied, ValidationException, a parameter
        # the SDK refused): a bug, not an outage. 500, with the AWS code in the log.
        log.error(
            "AWS refused a request on %s: %s", request.url.path, aws_error_code(exc), exc_info=exc
        )
        return await _crash(request, exc)
    message = (
        str(exc)
        if isinstance(exc, StillReplicating)
        else "this region's data store is not answering right now; retry shortly"
    )
    log.warning("dependency failure on %s: %s", request.url.path, aws_error_code(exc))
    headers = {"retry-after": "2"}
    if wants_json(request):
        return JSONResponse({"error": message}, status_code=503, headers=headers)
    response = await render(request, "error.html", status_code=503, status=503, message=message)
    response.headers.update(headers)
    return response


async def _crash(request: Request, exc: Exception) -> Response:
    # Logged by the server with its traceback; the user gets one line, never the traceback.
    if wants_json(request):
        return JSONResponse({"error": "internal error"}, status_code=500)
    return Response("internal error", status_code=500, media_type="text/plain")


def _dependency_errors() -> tuple[type[Exception], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError, DependencyError, StillReplicating)


def create_app(
    settings: AppSettings | None = None,
    *,
    clients: ClientFactory = default_clients,
    clock: Clock = time.time,
) -> RegionalApp:
    """The regional app for `settings` (default: resolved from the environment).

    `clients` builds the boto3 clients of a region (injectable: tests share them); `clock`
    drives the sign-in throttle's windows (injectable: tests move time instead of sleeping)."""
    settings = settings or settings_from_env()
    context = AppContext(settings, clients, clock)
    handlers: dict[Any, Any] = {HTTPException: _http_error, Exception: _crash}
    for exc_type in _dependency_errors():
        handlers[exc_type] = _unavailable
    static = StaticFiles(directory=STATIC_DIR)
    app = RegionalApp(
        routes=[
            *pages.routes(settings),
            health_route(context.health, settings.topology.health.path),
            *api.routes(settings.topology.health.path),
            *drill_writes.routes(),
            Mount(f"/static/{asset_version()}", app=static, name="static"),
        ],
        exception_handlers=handlers,
        max_body_size=settings.max_body_bytes,
    )
    app.region = settings.region
    app.context = context
    app.state.ctx = context
    return app
