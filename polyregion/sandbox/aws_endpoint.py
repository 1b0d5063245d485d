"""One region's AWS API endpoint: moto's WSGI app under uvicorn, behind a fault layer.

The stock moto server (Flask/Werkzeug) closes every connection (~250 DynamoDB ops/s); served
through a2wsgi under uvicorn it keeps connections alive. The fault layer in front lets the
sandbox make one service of one region fail, as `fault dependency REGION SERVICE MODE` asks:

- `down`: every call to that service answers 503 ServiceUnavailable (boto3 retries, then fails);
- `slow`: calls hang (up to `hang_s`, or until the fault is lifted), longer than the app's
  dependency timeout, so the app's deep health check must time out on its own;
- `up`: normal.

The service is read from the SigV4 credential scope, as AWS's front door would route it.
Run as `python -m polyregion.sandbox.aws_endpoint --host H --port P`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any, Final

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

FAULTS_PATH: Final = "/_sandbox/faults"
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

    def __init__(self, app: ASGIApp, *, hang_s: float = DEFAULT_HANG_S) -> None:
        self.app = app
        self.hang_s = hang_s
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
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
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


class FreezeSlowCollections:
    """After a full collection that took longer than `slow_s`, freeze what survived it: it is
    long-lived (moto's stored items and records), so never walk it again. Only slow ones, so
    that freezing stays rare: each freeze may also keep the cyclic garbage of the requests in
    flight at that moment forever (a few kB)."""

    def __init__(
        self, slow_s: float = 0.010, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self.slow_s, self.clock = slow_s, clock
        self.started = 0.0
        self.freezes = 0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self.started = self.clock()
        elif self.clock() - self.started > self.slow_s:
            gc.freeze()
            self.freezes += 1


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
    *, hang_s: float = DEFAULT_HANG_S, freeze: bool = False, extensions: Sequence[str] = ()
) -> ASGIApp:
    """moto's full AWS dispatcher (every service, regions isolated) as an ASGI app.

    `freeze`: keep full garbage collections short. moto keeps ~100k long-lived objects
    (service models, URL maps) plus every item, stream record and shard iterator it stores;
    each full collection walked them all, pausing every request in flight for 65-120 ms every
    few seconds under load, which was most of the tail of replication lag. So the apps of the
    services the sandbox uses are built now, and what is alive then, or after a slow full
    collection, is moved to the permanent generation (gc.freeze), never scanned again.
    Only for a process that serves nothing else.
    """
    from a2wsgi import WSGIMiddleware
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from polyregion.sandbox import moto_patches
    from polyregion.sandbox.loopback import LoopbackHostOnly

    moto_patches.apply()
    dispatcher = DomainDispatcherApplication(create_backend_app)
    wsgi: Any = dispatcher
    for spec in extensions:  # `up` adds replication's (S3 status, replica writes, secrets)
        wsgi = load_extension(spec)(wsgi)
    if freeze:
        for service in SANDBOX_SERVICES:
            dispatcher.app_instances[service] = create_backend_app(service)
        gc.collect()
        gc.freeze()
        gc.callbacks.append(FreezeSlowCollections())
    asgi: Any = WSGIMiddleware(wsgi, workers=16)
    # boto3 and the CLI name the endpoint's loopback address in Host; a DNS-rebinding page
    # names its own host, and would otherwise read the tables or switch faults on.
    return LoopbackHostOnly(FaultLayer(asgi, hang_s=hang_s), what="sandbox AWS endpoint")


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
    app: Any = create_app(hang_s=args.hang_s, freeze=True, extensions=args.extension)
    uvicorn.run(
        app, host=args.host, port=args.port, log_level="warning", access_log=False, lifespan="off"
    )


if __name__ == "__main__":
    main()
