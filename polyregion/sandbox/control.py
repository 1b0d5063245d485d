"""The control API: how the CLI, drills and the dashboard see and steer a running sandbox.

Listens on 127.0.0.1 only. State-changing calls need `Content-Type: application/json`, which a
web page on another origin cannot send without a CORS preflight (and none is ever granted), a
request carrying an `Origin` header (only browsers send one) is refused (403), and a request
whose Host is not loopback is refused (421): a DNS-rebinding page, which would be "same origin"
and need no preflight, still names its own host. So a page you browse cannot kill your
regions. Bodies are capped at MAX_BODY while they are read (413), never read whole first.

    GET  /status            the status JSON (docs/sandbox.md)
    GET  /events?since=SEQ  {"events": [...], "last_seq": N}
    POST /events            {"kind", "message", "region", "location", "detail"} -> {"seq"}
    POST /fault             {"action": ...} (polyregion.sandbox.faults) -> {"fault", "events"}
"""

from __future__ import annotations

import json
import re
from typing import Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from polyregion.errors import PolyregionError
from polyregion.sandbox.events import Event, EventLog
from polyregion.sandbox.faults import Fault, FaultError
from polyregion.sandbox.loopback import BrowserGuard, LoopbackHostOnly, is_json
from polyregion.sandbox.status_types import SandboxStatus

_KIND = re.compile(r"^[a-z][a-z0-9_.-]{0,39}$")
MAX_BODY = 64 * 1024


class Controller(Protocol):
    """What the control API needs from the supervisor."""

    events: EventLog

    def status(self) -> SandboxStatus: ...

    def parse_fault(self, data: object) -> Fault: ...

    async def apply_fault(self, fault: Fault) -> list[Event]: ...


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json_body(request: Request) -> object:
    """The JSON body, read in chunks and refused (413) as soon as it passes MAX_BODY: a
    declared length over the cap is refused before anything is read."""
    if not is_json(request.headers.get("content-type")):
        raise _BadRequest(415, "send Content-Type: application/json")
    too_large = _BadRequest(413, f"body larger than {MAX_BODY} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise too_large
        chunks.append(chunk)
    body = b"".join(chunks)
    try:
        return json.loads(body)
    except ValueError:
        raise _BadRequest(400, "the body is not valid JSON") from None


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message


def create_app(controller: Controller) -> Starlette:
    async def status(request: Request) -> JSONResponse:
        return JSONResponse(controller.status())

    async def events(request: Request) -> JSONResponse:
        raw = request.query_params.get("since", "0")
        if not raw.lstrip("-").isdigit():
            return _error(400, "since must be an integer event sequence number")
        found = controller.events.since(int(raw))
        return JSONResponse(
            {"events": [e.to_json() for e in found], "last_seq": controller.events.last_seq}
        )

    async def post_event(request: Request) -> JSONResponse:
        try:
            data = await _json_body(request)
        except _BadRequest as exc:
            return _refused(exc)
        if not isinstance(data, dict) or not _KIND.match(str(data.get("kind", ""))):
            return _error(400, 'an event needs "kind": lowercase letters, digits, "_.-"')
        detail = data.get("detail") or {}
        if not isinstance(detail, dict):
            return _error(400, '"detail" must be a JSON object')
        event = controller.events.emit(
            str(data["kind"]),
            str(data.get("message") or "")[:500],
            region=_opt_str(data.get("region")),
            location=_opt_str(data.get("location")),
            source="external",
            **{str(k): v for k, v in detail.items() if k != "source"},
        )
        return JSONResponse({"seq": event.seq, "event": event.to_json()})

    async def fault(request: Request) -> JSONResponse:
        try:
            data = await _json_body(request)
            parsed = controller.parse_fault(data)
            emitted = await controller.apply_fault(parsed)
        except _BadRequest as exc:
            return _refused(exc)
        except FaultError as exc:
            return _error(400, str(exc))
        except PolyregionError as exc:
            return _error(409, str(exc))
        return JSONResponse({"fault": parsed.to_json(), "events": [e.to_json() for e in emitted]})

    app = Starlette(
        routes=[
            Route("/status", status, methods=["GET"]),
            Route("/events", events, methods=["GET"]),
            Route("/events", post_event, methods=["POST"]),
            Route("/fault", fault, methods=["POST"]),
        ]
    )
    # Outermost last: the Host check, then no request from a web page (any Origin: the CLI,
    # drills and the dashboard's server never send one) and JSON for every POST.
    app.add_middleware(BrowserGuard, what="sandbox control API")
    app.add_middleware(LoopbackHostOnly, what="sandbox control API")
    return app


def _refused(exc: _BadRequest) -> JSONResponse:
    response = _error(exc.status, exc.message)
    if exc.status == 413:
        response.headers["connection"] = "close"  # the rest of the body is never read
    return response


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)[:100]
