"""The loopback rule for the sandbox's local HTTP APIs, against DNS rebinding.

Binding to 127.0.0.1 keeps other machines out, but not a web page: a site whose name first
resolves to its own server and then to 127.0.0.1 makes the browser treat our API as that
site's origin, so `Content-Type: application/json` is sent without a CORS preflight and the
response is readable. Such a request still names the attacker's host in `Host`, so every
local API refuses a Host that is not a loopback name or address.

A page on any other site can still *send* a "simple" cross-site request (a form POST,
`fetch(..., {mode: "no-cors", body})` as text/plain) to a loopback address: the browser does
not let it read the answer, but the request arrives. Browsers mark every such POST with an
`Origin` header, and cannot send `Content-Type: application/json` across sites without a CORS
preflight (never granted here). So every control surface refuses a foreign `Origin` (403) and
state changes without a JSON content type (415): `refuse_browser`.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the replicator imports this module and keeps its start-up stdlib-only
    from starlette.types import ASGIApp, Receive, Scope, Send


def is_loopback_host(host: str) -> bool:
    """True for `localhost`, `127.x.y.z` or `[::1]`, with or without a port."""
    name = host[1:].split("]", 1)[0] if host.startswith("[") else host.split(":", 1)[0]
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_json(content_type: str | None) -> bool:
    """`application/json`, with or without parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower() == "application/json"


def refuse_browser(
    method: str,
    origin: str | None,
    content_type: str | None,
    *,
    own_origin: str | None = None,
    what: str,
) -> tuple[int, str] | None:
    """(status, message) when a control request must be refused, else None.

    `origin`: the request's Origin header; only `own_origin` (the dashboard's page calling its
    own server) is accepted, and surfaces no page ever calls pass None: any Origin is foreign.
    """
    if origin is not None and origin != own_origin:
        return 403, f"the {what} does not accept requests from web pages (Origin {origin!r})"
    if method.upper() not in SAFE_METHODS and not is_json(content_type):
        return 415, f"the {what} needs Content-Type: application/json for {method}"
    return None


class BrowserGuard:
    """ASGI middleware: `refuse_browser` for every HTTP request (JSON error bodies)."""

    def __init__(self, app: ASGIApp, *, what: str, json_writes: bool = True) -> None:
        self.app = app
        self.what = what
        self.json_writes = json_writes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            origin = headers.get(b"origin")
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            refused = refuse_browser(
                scope["method"] if self.json_writes else "GET",
                None if origin is None else origin.decode("latin-1"),
                content_type,
                what=self.what,
            )
            if refused is not None:
                from starlette.responses import JSONResponse

                response = JSONResponse({"error": refused[1]}, status_code=refused[0])
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class LoopbackHostOnly:
    """ASGI middleware: 421 for any HTTP request whose Host header is not loopback."""

    def __init__(self, app: ASGIApp, *, what: str) -> None:
        self.app = app
        self.what = what

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if not is_loopback_host(host):
                from starlette.responses import JSONResponse

                response = JSONResponse(
                    {"error": f"the {self.what} serves loopback hosts only, not {host!r}"},
                    status_code=421,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
