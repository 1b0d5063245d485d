"""Origin verification: only requests that came through the CDN (CloudFront, the sandbox's
edges) get in.

A regional origin has public DNS names, so the app checks what only the CDN knows: a secret
header (`POLYREGION_ORIGIN_VERIFY_HEADER`, default `x-origin-verify`) whose value lives in
Secrets Manager (`POLYREGION_ORIGIN_VERIFY_SECRET`). Requests without it, or with a wrong value,
get a bare 403 before any routing - the refusal says nothing about the app. The health paths
stay open: Route 53's checkers cannot send headers. AWSCURRENT and AWSPREVIOUS are both accepted
(rotation without downtime); an unknown value triggers a refetch at most every few seconds, so
junk values cannot hammer Secrets Manager.

A region that cannot read the secret (and has none cached) refuses every request with 503, so
the guard also adds an `origin-verify` check to the app's `HealthChecker`: such a region reports
itself degraded and Route 53 moves traffic away, instead of being healthy to Route 53 and dead
to every user.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Iterable
from typing import Any

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from polyregion.kit.health import HealthChecker
from polyregion.kit.keys import KeySet, SecretKeyProvider

log = logging.getLogger("polyregion.kit.origin")
HEALTH_CHECK = "origin-verify"
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_BODIES = {403: b"Forbidden", 503: b"Service Unavailable"}


def matches(presented: bytes, keys: KeySet) -> bool:
    """Constant-time against every accepted value (no early exit that would time the match)."""
    results = [hmac.compare_digest(presented, k.secret) for k in keys.all()]
    return any(results)


def _accepts_sync(keys: SecretKeyProvider, presented: bytes) -> bool:
    current = keys.cached() or keys.get()
    if matches(presented, current):
        return True
    # Perhaps a rotation we have not seen: refetch, unless we did moments ago.
    fresh = keys.refresh_unless_recent()
    return fresh is not current and matches(presented, fresh)


def _headers(status: int) -> list[tuple[str, str]]:
    return [
        ("content-type", "text/plain; charset=utf-8"),
        ("content-length", str(len(_BODIES[status]))),
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
    ]


class _Guard:
    def __init__(
        self,
        *,
        header: str,
        keys: SecretKeyProvider,
        open_paths: Iterable[str],
        health: HealthChecker | None,
    ) -> None:
        self.header = header.lower()
        self.keys = keys
        self.open_paths = frozenset(open_paths)
        if health is not None:
            health.add(HEALTH_CHECK, keys.probe)


class OriginGuard(_Guard):
    """ASGI middleware; make it the outermost layer, so a refused request reaches nothing.

    `open_paths`: exact paths served without the header (the health path and its siblings).
    `health`: the app's checker, which gains the `origin-verify` check."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        header: str,
        keys: SecretKeyProvider,
        open_paths: Iterable[str] = (),
        health: HealthChecker | None = None,
    ) -> None:
        super().__init__(header=header, keys=keys, open_paths=open_paths, health=health)
        self.app = app
        self._header = self.header.encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.open_paths:
            await self.app(scope, receive, send)
            return
        presented = next((v for k, v in scope["headers"] if k == self._header), None)
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
        if keys is not None and matches(presented, keys):
            return True  # the fast path: no thread, no I/O
        return await anyio.to_thread.run_sync(_accepts_sync, self.keys, presented)


async def _refuse(send: Send, status: int) -> None:
    headers = [(k.encode(), v.encode()) for k, v in _headers(status)]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": _BODIES[status]})


class OriginGuardWSGI(_Guard):
    """The same guard as WSGI middleware (Flask: `app.wsgi_app = OriginGuardWSGI(app.wsgi_app,
    ...)`)."""

    def __init__(
        self,
        app: WSGIApp,
        *,
        header: str,
        keys: SecretKeyProvider,
        open_paths: Iterable[str] = (),
        health: HealthChecker | None = None,
    ) -> None:
        super().__init__(header=header, keys=keys, open_paths=open_paths, health=health)
        self.app = app
        self._environ_key = "HTTP_" + self.header.upper().replace("-", "_")

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "") in self.open_paths:
            return self.app(environ, start_response)
        raw = environ.get(self._environ_key)
        status = 403
        try:
            # WSGI headers are latin-1 decoded str (PEP 3333): encode back to the bytes sent.
            if raw is not None and _accepts_sync(self.keys, str(raw).encode("latin-1")):
                return self.app(environ, start_response)
        except Exception as exc:
            log.warning("origin verification secret unavailable: %s", type(exc).__name__)
            status = 503
        reason = "Forbidden" if status == 403 else "Service Unavailable"
        start_response(f"{status} {reason}", _headers(status))
        return [_BODIES[status]]
