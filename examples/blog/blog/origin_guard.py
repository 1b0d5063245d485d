"""Origin verification: only requests that came through our CloudFront distribution get in.

The regional origin (an API Gateway HTTP API) has public DNS names, and HTTP APIs cannot be
fronted by AWS WAF, so the app checks what CloudFront alone knows: a secret custom origin
header (`origin.verify_header`) whose value lives in Secrets Manager. Requests without it, or
with a wrong value, get a bare 403 before any routing, cache or region header - the refusal says
nothing about the app. The health paths stay open: Route 53's checkers cannot send headers.

Rotation without downtime: the AWSCURRENT and AWSPREVIOUS values are both accepted (the same
`SecretKeyProvider` as the session keys), so CloudFront may still send the old value while the
distribution is being updated. An unknown value triggers a refetch at most every few seconds
(a rotation this process has not seen yet), so junk values cannot hammer Secrets Manager.
"""

from __future__ import annotations

import hmac
import logging

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from polyregion.kit.keys import KeySet, SecretKeyProvider

log = logging.getLogger("polyregion.app")
FORBIDDEN = b"Forbidden"


def matches(presented: bytes, keys: KeySet) -> bool:
    """Constant-time against every accepted value (no early exit that would time the match)."""
    results = [hmac.compare_digest(presented, k.secret) for k in keys.all()]
    return any(results)


class OriginGuard:
    """ASGI middleware: outermost, so a refused request reaches nothing else."""

    def __init__(
        self, app: ASGIApp, *, header: str, keys: SecretKeyProvider, open_paths: frozenset[str]
    ) -> None:
        self.app = app
        self.header = header.lower().encode("latin-1")
        self.keys = keys
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.open_paths:
            await self.app(scope, receive, send)
            return
        presented = next((v for k, v in scope["headers"] if k == self.header), None)
        try:
            allowed = presented is not None and await self._accepts(presented)
        except Exception as exc:  # Secrets Manager unreachable and nothing cached: fail closed
            log.warning("origin verification secret unavailable: %s", type(exc).__name__)
            await _refuse(send, 503)
            return
        if not allowed:
            await _refuse(send, 403)
            return
        await self.app(scope, receive, send)

    async def _accepts(self, presented: bytes) -> bool:
        keys = self.keys.cached()
        if keys is None:
            keys = await anyio.to_thread.run_sync(self.keys.get)
        if matches(presented, keys):
            return True
        # Perhaps a rotation we have not seen: refetch, unless we did moments ago.
        fresh = await anyio.to_thread.run_sync(self.keys.refresh_unless_recent)
        return fresh is not keys and matches(presented, fresh)


async def _refuse(send: Send, status: int) -> None:
    body = FORBIDDEN if status == 403 else b"Service Unavailable"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
