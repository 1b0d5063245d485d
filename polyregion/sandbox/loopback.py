"""The loopback rule for the sandbox's local HTTP APIs, against DNS rebinding.

Binding to 127.0.0.1 keeps other machines out, but not a web page: a site whose name first
resolves to its own server and then to 127.0.0.1 makes the browser treat our API as that
site's origin, so `Content-Type: application/json` is sent without a CORS preflight and the
response is readable. Such a request still names the attacker's host in `Host`, so every
local API refuses a Host that is not a loopback name or address.
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
