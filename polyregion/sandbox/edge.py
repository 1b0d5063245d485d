"""A CloudFront-like edge for one simulated location: a caching reverse proxy.

It behaves like the distribution the infrastructure deploys (one distribution for
`app.<domain>` whose origin is `origin.<domain>`, latency-routed by Route 53):

- the origin's address comes from the sandbox DNS server, asked *as this location* (EDNS
  Client Subnet) and cached for the answer's TTL: DNS caching delays failover, as on AWS;
- `/static/*` uses CachingOptimized: cached per Cache-Control (see `edge_cache`), no cookies,
  query strings or headers but Accept-Encoding sent to the origin, GET/HEAD/OPTIONS only;
  `x-cache: Hit/Miss from cloudfront` and `Age` on the way back;
- everything else (pages and `/api/*`) uses CachingDisabled + AllViewerExceptHostHeader: every
  viewer header, cookie and query string goes to the origin, with `Host: origin.<domain>`;
- CloudFront's limits: URL 8,192 bytes, request line + headers 20,480 bytes; bodies above the
  Lambda function URL's 6 MB payload limit (the origin on AWS) are refused with 413;
- origin connection failures give 502 after the configured attempts, origin timeouts 504.

`GET /_sandbox/edge` is the sandbox's own window into the edge (its DNS answer and cache);
CloudFront has no such path. Run as `python -m polyregion.sandbox.edge --location ...`.
"""

from __future__ import annotations

import argparse
import functools
import ipaddress
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from polyregion.sandbox.edge_cache import EdgeCache, normalise_encoding, ttl_for
from polyregion.sandbox.origin_pool import (
    OriginConnectError,
    OriginError,
    OriginPool,
    OriginResponse,
    OriginTimeout,
)
from polyregion.sandbox.resolver import LocationResolver, ResolveError

STATE_PATH: Final = "/_sandbox/edge"
ENV_ORIGIN_VERIFY: Final = "POLYREGION_EDGE_ORIGIN_VERIFY"  # the value (never on argv)
STATIC_PREFIX: Final = "/static/"
STATIC_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
VIEWER_ADDRESS: Final = "cloudfront-viewer-address"  # set by CloudFront, never by the viewer
HOP_BY_HOP: Final = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


@dataclass(frozen=True, slots=True)
class EdgeLimits:
    max_url_bytes: int = 8_192  # CloudFront quota
    max_header_bytes: int = 20_480  # CloudFront quota: request line + headers, no body
    max_body_bytes: int = 6 * 1024 * 1024  # the Lambda function URL origin's payload limit


@dataclass(frozen=True, slots=True)
class EdgeConfig:
    location: str
    subnet: ipaddress.IPv4Network
    origin_hostname: str
    origin_port: int
    dns_host: str
    dns_port: int
    limits: EdgeLimits = field(default_factory=EdgeLimits)
    connect_attempts: int = 3  # CloudFront: 1-3, default 3
    connect_timeout_s: float = 10.0  # CloudFront: 1-10 s, default 10
    response_timeout_s: float = 30.0  # CloudFront default origin response timeout
    # (header, value) added to every origin request, as the distribution's custom origin
    # header; a viewer's own copy of that header is dropped, as CloudFront overrides it.
    origin_verify: tuple[str, str] | None = field(default=None, repr=False)


class OriginClient(Protocol):
    """How the edge asks an origin (`OriginPool`; tests pass an in-memory one).

    It keeps no cookies or other state between requests: one client serves every viewer."""

    async def request(
        self,
        ip: str,
        port: int,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> OriginResponse: ...

    async def aclose(self) -> None: ...


class Edge:
    """The ASGI app of one edge location."""

    def __init__(
        self,
        config: EdgeConfig,
        *,
        resolver: LocationResolver | None = None,
        origin: OriginClient | None = None,
        cache: EdgeCache | None = None,
    ) -> None:
        self.config = config
        self.resolver = (
            resolver
            if resolver is not None
            else LocationResolver(
                config.origin_hostname, config.subnet, config.dns_host, config.dns_port
            )
        )
        self.origin: OriginClient = origin or OriginPool(
            connect_timeout_s=config.connect_timeout_s,
            response_timeout_s=config.response_timeout_s,
        )
        self.cache = cache if cache is not None else EdgeCache()
        self.pop = f"{config.location.upper()[:3]}-SBX"
        self.via = f"1.1 {secrets.token_hex(16)}.cloudfront.net (CloudFront)"
        self._via, self._pop = self.via.encode(), self.pop.encode()
        self.requests = 0
        self.errors = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        path: str = request.scope["path"]  # not request.url: building a URL costs per request
        if path == STATE_PATH:
            return Response(json.dumps(self.state()), media_type="application/json")
        self.requests += 1
        if (refused := self._check_limits(request)) is not None:
            return refused
        static = path.startswith(STATIC_PREFIX)
        if static and request.method not in STATIC_METHODS:
            return self._error(
                403,
                "This distribution is not configured to allow the HTTP "
                "request method that was used for this request.",
            )
        key = ""
        if static:
            key = f"{path}|{normalise_encoding(request.headers.get('accept-encoding'))}"
        if static and request.method in ("GET", "HEAD"):
            entry = self.cache.get(key)
            if entry is not None:
                headers = [*entry.headers, ("age", str(entry.age(self.cache.clock())))]
                return self._respond(
                    entry.status, headers, entry.body, "Hit", request.method, len(entry.body)
                )
        try:
            body = await self._read_body(request)
        except _TooLarge:
            return self._error(413, "Request body too large for the origin (6 MB).")
        try:
            answer = await self.resolver.resolve()
        except ResolveError:
            return self._error(502, "CloudFront wasn't able to resolve the origin domain name.")
        if not _is_loopback(answer.ip):
            # Anyone on this machine can add records through the local Route 53 API; the
            # sandbox rule is that only loopback is ever a destination (as probe.py does).
            return self._error(
                502, f"Sandbox rule: the origin resolved to {answer.ip}, not a loopback address."
            )
        target, upstream_headers = self._upstream_request(request, static=static)
        try:
            status, headers, content = await self._send(
                answer.ip, request.method, target, upstream_headers, body
            )
        except OriginTimeout:
            return self._error(
                504,
                "CloudFront attempted to establish a connection with the "
                "origin, but the origin did not respond in time.",
            )
        except OriginError:
            return self._error(502, "CloudFront wasn't able to connect to the origin.")
        # HEAD: the origin's Content-Length is the length of the body a GET would get.
        length = len(content)
        if request.method == "HEAD":
            declared = next((v for k, v in headers if k.lower() == "content-length"), "")
            length = int(declared) if declared.isdigit() else 0
        headers = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
        if static:
            # Not forwarding cookies means CloudFront strips Set-Cookie before caching.
            headers = [(k, v) for k, v in headers if k.lower() != "set-cookie"]
            if request.method == "GET":
                cache_control = next((v for k, v in headers if k.lower() == "cache-control"), None)
                self.cache.put(key, status, headers, content, ttl_for(cache_control))
        return self._respond(status, headers, content, "Miss", request.method, length)

    # -- pieces -------------------------------------------------------------------------
    def _check_limits(self, request: Request) -> Response | None:
        lim = self.config.limits
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        query = request.scope.get("query_string", b"")
        if len(raw_path) + len(query) + 1 > lim.max_url_bytes:
            return self._error(414, "The URL is longer than CloudFront allows (8,192 bytes).")
        header_bytes = sum(len(k) + len(v) + 4 for k, v in request.scope["headers"])
        if header_bytes + len(raw_path) + len(query) > lim.max_header_bytes:
            return self._error(
                413, "The request headers are larger than CloudFront allows (20,480 bytes)."
            )
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > lim.max_body_bytes:
            return self._error(413, "Request body too large for the origin (6 MB).")
        return None

    async def _read_body(self, request: Request) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.config.limits.max_body_bytes:
                raise _TooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    def _upstream_request(
        self, request: Request, *, static: bool
    ) -> tuple[str, list[tuple[str, str]]]:
        """(request target, headers) for the origin."""
        host = self.config.origin_hostname
        path = request.scope.get("raw_path") or request.url.path.encode()
        target = path.decode("latin-1")
        if static:
            # CachingOptimized: only Accept-Encoding reaches the origin; no query, no cookies.
            headers: list[tuple[str, str]] = []
            if enc := normalise_encoding(request.headers.get("accept-encoding")):
                headers.append(("accept-encoding", enc))
        else:
            # A viewer cannot forge CloudFront's own headers: CloudFront sets them itself.
            headers = [
                (k, v)
                for k, v in request.headers.items()
                if k.lower() not in HOP_BY_HOP and k.lower() != VIEWER_ADDRESS
            ]
            client = request.client.host if request.client else "127.0.0.1"
            port = request.client.port if request.client else 0
            forwarded = request.headers.get("x-forwarded-for")
            headers.append(("x-forwarded-for", f"{forwarded}, {client}" if forwarded else client))
            # What the app trusts for the client's address (sign-in throttle, audit): "ip:port",
            # as AllViewerExceptHostHeader forwards CloudFront-Viewer-Address.
            headers.append((VIEWER_ADDRESS, f"{client}:{port}"))
            query = request.scope.get("query_string", b"").decode("latin-1")
            if query:
                target += f"?{query}"
        headers += [("host", host), ("via", self.via), ("x-amz-cf-id", secrets.token_urlsafe(24))]
        if self.config.origin_verify is not None:
            name, value = self.config.origin_verify
            headers = [(k, v) for k, v in headers if k.lower() != name]
            headers.append((name, value))
        return target, headers

    async def _send(
        self, ip: str, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        last: OriginConnectError | None = None
        for _ in range(self.config.connect_attempts):
            try:
                r = await self.origin.request(
                    ip, self.config.origin_port, method, target, headers, body
                )
            except OriginConnectError as exc:
                last = exc  # nothing reached the origin: safe to retry, as CloudFront does
                continue
            return r.status, r.headers, r.body
        assert last is not None
        raise last

    def _respond(
        self,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        cache: str,
        method: str,
        length: int,
    ) -> Response:
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        raw += [
            (b"content-length", str(length).encode()),
            (b"x-cache", b"Hit from cloudfront" if cache == "Hit" else b"Miss from cloudfront"),
            (b"via", self._via),
            (b"x-amz-cf-pop", self._pop),
        ]
        return _Passthrough(status, raw, b"" if method == "HEAD" else body)

    def _error(self, status: int, message: str) -> Response:
        self.errors += 1
        html = (
            f"<html><head><title>{status} ERROR</title></head><body><h1>{status} ERROR</h1>"
            f"<h2>The request could not be satisfied.</h2><p>{message}</p>"
            f"<p>Generated by cloudfront (CloudFront) - polyregion sandbox edge "
            f"{self.config.location}</p></body></html>"
        ).encode()
        return Response(
            html,
            status_code=status,
            media_type="text/html",
            headers={"x-cache": "Error from cloudfront", "x-amz-cf-pop": self.pop},
        )

    def state(self) -> dict[str, Any]:
        answer = self.resolver.current
        return {
            "location": self.config.location,
            "subnet": str(self.config.subnet),
            "origin_hostname": self.config.origin_hostname,
            "answer": None
            if answer is None
            else {
                **answer.to_json(),
                "expires_in": round(answer.expires - self.resolver.clock(), 3),
            },
            "dns_changes": self.resolver.changes,
            "cache": {
                "entries": len(self.cache),
                "hits": self.cache.hits,
                "misses": self.cache.misses,
            },
            "requests": self.requests,
            "errors": self.errors,
            "time": time.time(),
        }

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.origin.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


@functools.lru_cache(maxsize=256)
def _is_loopback(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


class _TooLarge(Exception):
    pass


class _Passthrough(Response):
    """An origin's answer as it is sent on: headers already raw, no Starlette header
    building (that was a tenth of the edge's CPU per proxied request)."""

    def __init__(self, status: int, raw_headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status_code = status
        self.raw_headers = raw_headers
        self.body = body
        self.background = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        await send({"type": "http.response.body", "body": self.body})


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    p = argparse.ArgumentParser(description="A CloudFront-like edge for one sandbox location.")
    p.add_argument("--location", required=True)
    p.add_argument("--subnet", required=True, type=ipaddress.IPv4Network)
    p.add_argument("--host", required=True)
    p.add_argument("--port", required=True, type=int)
    p.add_argument("--origin-hostname", required=True)
    p.add_argument("--origin-port", required=True, type=int)
    p.add_argument("--dns-host", required=True)
    p.add_argument("--dns-port", required=True, type=int)
    p.add_argument(
        "--origin-verify-header",
        help=f"header sent to origins with the value of ${ENV_ORIGIN_VERIFY} (if set)",
    )
    args = p.parse_args(argv)
    origin_verify = None
    if args.origin_verify_header:
        value = os.environ.get(ENV_ORIGIN_VERIFY)
        if not value:
            p.error(f"--origin-verify-header needs the value in ${ENV_ORIGIN_VERIFY}")
        origin_verify = (args.origin_verify_header.lower(), value)
    edge = Edge(
        EdgeConfig(
            location=args.location,
            subnet=args.subnet,
            origin_hostname=args.origin_hostname,
            origin_port=args.origin_port,
            dns_host=args.dns_host,
            dns_port=args.dns_port,
            origin_verify=origin_verify,
        )
    )
    uvicorn.run(
        edge,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        server_header=False,
        date_header=False,  # the origin's Date goes through, as CloudFront does
        timeout_keep_alive=60,
        # The edge is the first hop: a viewer's X-Forwarded-For must never become the client
        # address (uvicorn trusts it from loopback peers by default, and every viewer here is
        # one), or a viewer could choose its CloudFront-Viewer-Address.
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
