"""One region's AWS API endpoint: moto's WSGI app under uvicorn, behind a fault layer.

The stock moto server (Flask/Werkzeug) closes every connection (~250 DynamoDB ops/s); served
through a2wsgi under uvicorn it keeps connections alive. The fault layer in front lets the
sandbox make one service of one region fail, as `fault dependency REGION SERVICE MODE` asks:

- `down`: every call to that service answers 503 ServiceUnavailable (boto3 retries, then fails);
- `slow`: calls hang (up to `hang_s`, or until the fault is lifted), longer than the app's
  dependency timeout, so the app's deep health check must time out on its own;
- `up`: normal.

The service is read from the SigV4 credential scope, as AWS's front door would route it.
Faults are switched only by the sandbox that started the endpoint: `POST /_sandbox/faults` needs
`Content-Type: application/json` and the run's fault token (`$POLYREGION_SANDBOX_FAULT_TOKEN`,
sent as `x-polyregion-fault-token`), so the supervisor's view (`status`, `fault heal`) is the
only one there is.

Like AWS, the AWS APIs accept only SigV4-signed requests (`SigV4Only`): an `Authorization:
AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` header or a presigned query
(`X-Amz-Algorithm=AWS4-HMAC-SHA256`, `X-Amz-Credential`, `X-Amz-Signature`). Any keys are
fine (moto does not check signatures): the point is that a web page cannot produce one, so a
browser form POST cannot plant an object in a bucket. Any request carrying an `Origin` header
(a browser's) is refused too, on every path.

Run as `python -m polyregion.sandbox.aws_endpoint --host H --port P`.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import os
import re
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any, Final

from polyregion.gc_pauses import keep_full_collections_short
from polyregion.sandbox.loopback import BrowserGuard, LoopbackHostOnly, is_json

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

FAULTS_PATH: Final = "/_sandbox/faults"
ENV_FAULT_TOKEN: Final = "POLYREGION_SANDBOX_FAULT_TOKEN"  # noqa: S105 - a name
FAULT_TOKEN_HEADER: Final = "x-polyregion-fault-token"  # noqa: S105 - a name
INTERNAL_PREFIXES: Final = ("/_sandbox/", "/_polyregion/")  # the sandbox's own, unsigned
# User-facing dependency names -> SigV4 signing names (Streams signs as "dynamodb" too).
SERVICES: Final = {"dynamodb": "dynamodb", "s3": "s3", "secrets": "secretsmanager"}
MODES: Final = ("up", "down", "slow")
SANDBOX_SERVICES: Final = ("dynamodb", "dynamodbstreams", "s3", "secretsmanager")
REPLICA_WRITES_PATH: Final = "/_polyregion/dynamodb/"
DEFAULT_HANG_S: Final = 30.0

_CREDENTIAL = re.compile(rb"Credential=[^/]+/\d{8}/[^/]+/([a-z0-9-]+)/aws4_request")
_QUERY_CREDENTIAL = re.compile(
    rb"X-Amz-Credential=[^&/]+(?:/|%2F)\d{8}(?:/|%2F)[^&/%]+(?:/|%2F)([a-z0-9-]+)"
)
_SIGV4_HEADER = re.compile(
    rb"^AWS4-HMAC-SHA256 +Credential=[^,]+/aws4_request *, *SignedHeaders=[a-z0-9;-]+ *, *"
    rb"Signature=[0-9a-f]{64}$"
)


def is_sigv4_signed(scope: Scope) -> bool:
    """The request has the shape of a SigV4 signature (header or presigned query); the
    signature itself is not checked (the sandbox accepts any keys)."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            return _SIGV4_HEADER.match(value.strip()) is not None
    query = scope.get("query_string", b"")
    return (
        b"X-Amz-Algorithm=AWS4-HMAC-SHA256" in query
        and _QUERY_CREDENTIAL.search(query) is not None
        and b"X-Amz-Signature=" in query
    )


class SigV4Only:
    """ASGI middleware: 403 for an AWS API request without a SigV4 signature's shape."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and not scope["path"].startswith(INTERNAL_PREFIXES)
            and not is_sigv4_signed(scope)
        ):
            body = json.dumps(
                {
                    "__type": "MissingAuthenticationTokenException",
                    "message": "the sandbox's AWS endpoints accept only SigV4-signed requests "
                    "(any keys): use an AWS SDK or the AWS CLI",
                }
            ).encode()
            await _respond(send, 403, body)
            return
        await self.app(scope, receive, send)


def signing_service(scope: Scope) -> str:
    """The AWS service a request is for, from its SigV4 credential scope (header or query)."""
    if scope.get("path", "").startswith(REPLICA_WRITES_PATH):
        return "dynamodb"  # replicated global-table writes fail with the region's DynamoDB
    for name, value in scope.get("headers", []):
        if name == b"authorization" and (m := _CREDENTIAL.search(value)):
            return m.group(1).decode()
        if name == b"x-amz-target" and value.startswith(b"DynamoDB"):
            return "dynamodb"
    if m := _QUERY_CREDENTIAL.search(scope.get("query_string", b"")):
        return m.group(1).decode()
    return "s3"  # unsigned or presigned-by-path requests: only S3 accepts those


class FaultLayer:
    """ASGI middleware: per-service faults, switched through `POST /_sandbox/faults`."""

    def __init__(
        self, app: ASGIApp, *, hang_s: float = DEFAULT_HANG_S, token: str | None = None
    ) -> None:
        self.app = app
        self.hang_s = hang_s
        self.token = token  # None: nobody may switch faults (a stand-alone endpoint)
        self.modes: dict[str, str] = dict.fromkeys(SERVICES, "up")
        self._changed: dict[str, asyncio.Event] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == FAULTS_PATH:
            await self._control(scope, receive, send)
            return
        signing = signing_service(scope)
        dependency = next((k for k, v in SERVICES.items() if v == signing), None)
        mode = self.modes.get(dependency, "up") if dependency else "up"
        if mode == "slow":
            event = self._changed.setdefault(dependency or "", asyncio.Event())
            try:
                await asyncio.wait_for(event.wait(), timeout=self.hang_s)
            except TimeoutError:
                pass
            mode = self.modes.get(dependency or "", "up")
        if mode == "down":
            body = json.dumps(
                {"__type": "ServiceUnavailable", "message": f"sandbox fault: {dependency} down"}
            ).encode()
            await _respond(send, 503, body)
            return
        await self.app(scope, receive, send)

    def set_mode(self, dependency: str, mode: str) -> None:
        if dependency not in SERVICES:
            raise ValueError(f"dependency must be one of {', '.join(SERVICES)}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        self.modes[dependency] = mode
        # Release requests hanging under `slow`: they re-read the mode and go on or fail.
        if event := self._changed.pop(dependency, None):
            event.set()

    async def _control(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "POST":
            headers = dict(scope["headers"])
            if not is_json(headers.get(b"content-type", b"").decode("latin-1")):
                await _respond(send, 415, b'{"error": "send Content-Type: application/json"}')
                return
            given = headers.get(FAULT_TOKEN_HEADER.encode(), b"")
            if self.token is None or not hmac.compare_digest(given, self.token.encode()):
                message = (
                    "faults are switched through the sandbox (polyregion fault dependency "
                    "REGION SERVICE MODE), which keeps the one record that status and heal use"
                )
                await _respond(send, 403, json.dumps({"error": message}).encode())
                return
            body = b""
            while True:
                chunk = await receive()
                body += chunk.get("body", b"")
                if len(body) > 4096:
                    await _respond(send, 413, b'{"error": "a fault is a small JSON object"}')
                    return
                if not chunk.get("more_body"):
                    break
            try:
                data = json.loads(body)
                self.set_mode(str(data["dependency"]), str(data["mode"]))
            except (ValueError, KeyError, TypeError) as exc:
                await _respond(send, 400, json.dumps({"error": str(exc)}).encode())
                return
        await _respond(send, 200, json.dumps(self.modes).encode())


async def _respond(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# Calls served on the event loop's thread (InlineCalls): quick, CPU-bound, never waiting.
_INLINE_TARGETS: Final = (b"DynamoDB_", b"DynamoDBStreams_")
_INLINE_PATHS: Final = frozenset({REPLICA_WRITES_PATH + "apply"})


class InlineCalls:
    """ASGI: run DynamoDB and DynamoDB Streams calls, and replica writes, on the event loop's
    own thread instead of handing each to a2wsgi's worker pool (`pool`).

    A call to moto is ~0.5-2 ms of CPU and never waits on I/O, so a worker thread buys no
    concurrency (the GIL serializes moto anyway) and costs two thread hand-offs per request:
    loop -> worker and, for every `send`, worker -> loop, each a wake-up the OS schedules late
    on a busy machine, and together a fifth to a third of an endpoint's CPU in the profiles
    (futures, run_coroutine_threadsafe, Condition.notify). Replication pays them three times
    per write (the write, the stream read, the replica write). Everything that may wait
    stays on the pool: the stream doorbell and S3 change feed (long polls), S3 bodies,
    Secrets Manager. A `slow` fault still hangs in FaultLayer, in front of this."""

    def __init__(self, pool: ASGIApp, wsgi: Callable[..., Any]) -> None:
        self.pool, self.wsgi = pool, wsgi

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _inline(scope):
            await self.pool(scope, receive, send)
            return
        import io

        from a2wsgi.wsgi import build_environ

        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        environ = build_environ(scope, io.BytesIO(bytes(body)))  # type: ignore[arg-type]
        started: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> Any:
            started["status"], started["headers"] = status, headers
            return lambda _data: None  # moto never writes through the legacy callable

        try:
            result = self.wsgi(environ, start_response)
            try:
                data = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        except Exception:  # what a2wsgi answers too: moto's own bugs end as a 500
            import logging

            logging.getLogger(__name__).exception("inline call failed")
            await _respond(send, 500, b'{"__type": "InternalFailure"}')
            return
        code = int(started["status"].split(" ", 1)[0])
        headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in started["headers"]
        ]
        await send({"type": "http.response.start", "status": code, "headers": headers})
        await send({"type": "http.response.body", "body": data})


def _inline(scope: Scope) -> bool:
    if scope["path"] in _INLINE_PATHS:
        return True
    for name, value in scope.get("headers", []):
        if name == b"x-amz-target":
            return bool(value.startswith(_INLINE_TARGETS))
    return False


def load_extension(spec: str) -> Callable[[Any], Any]:
    """`module:function`, a WSGI wrapper around moto's app (e.g. the replication extension,
    polyregion.replication.endpoint:wrap, which `up` plugs in): the sandbox itself never
    imports the layers built on it."""
    import importlib

    module, _, name = spec.partition(":")
    try:
        wrapper: Callable[[Any], Any] = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError):
        raise SystemExit(f"--extension {spec}: not an importable module:function") from None
    return wrapper


def create_app(
    *,
    hang_s: float = DEFAULT_HANG_S,
    freeze: bool = False,
    fault_token: str | None = None,
    extensions: Sequence[str] = (),
) -> ASGIApp:
    """moto's full AWS dispatcher (every service, regions isolated) as an ASGI app.

    `freeze`: keep full garbage collections short (polyregion.gc_pauses). moto keeps ~100k
    long-lived objects (service models, URL maps) plus every item, stream record and shard
    iterator it stores; each full collection walked them all, pausing every request in flight
    for 65-120 ms every few seconds under load. So the apps of the services the sandbox uses
    are built now, and frozen with the rest.
    Only for a process that serves nothing else.
    """
    from a2wsgi import WSGIMiddleware
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from polyregion.sandbox import moto_patches

    moto_patches.apply()
    dispatcher = DomainDispatcherApplication(create_backend_app)
    wsgi: Any = dispatcher
    for spec in extensions:  # `up` adds replication's (S3 status, replica writes, secrets)
        wsgi = load_extension(spec)(wsgi)
    if freeze:
        for service in SANDBOX_SERVICES:
            dispatcher.app_instances[service] = create_backend_app(service)
        keep_full_collections_short()
    pool: Any = WSGIMiddleware(wsgi, workers=16)
    asgi: Any = InlineCalls(pool, wsgi)
    return guarded(FaultLayer(SigV4Only(asgi), hang_s=hang_s, token=fault_token))


def guarded(app: ASGIApp) -> ASGIApp:
    """The browser-facing guards of an endpoint: boto3 and the CLI name the endpoint's
    loopback address in Host (a DNS-rebinding page names its own host: 421), and never send
    an Origin header (a page on any site does: 403, before anything is read or switched)."""
    what = "sandbox AWS endpoint"
    return LoopbackHostOnly(BrowserGuard(app, what=what, json_writes=False), what=what)


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--hang-s", type=float, default=DEFAULT_HANG_S)
    parser.add_argument(
        "--extension", action="append", default=[], help="module:function wrapping moto's app"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds some URLs from it
    token = os.environ.pop(ENV_FAULT_TOKEN, None)  # from the supervisor; never on argv
    app: Any = create_app(
        hang_s=args.hang_s, freeze=True, fault_token=token, extensions=args.extension
    )
    uvicorn.run(
        app, host=args.host, port=args.port, log_level="warning", access_log=False, lifespan="off"
    )


if __name__ == "__main__":
    main()
