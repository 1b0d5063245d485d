"""The replicator's control API on loopback: GET /status, GET /events, POST /partition, /heal.

Standard library only (http.server): four tiny routes inside a process that must start fast
and be killable at any moment do not need an ASGI stack.

Like every local control surface (polyregion/sandbox/loopback.py): a Host that is not loopback
gets 421, a request from a web page (any `Origin` header) 403, and a POST without
`Content-Type: application/json` 415, so a page cannot partition the regions.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from polyregion.sandbox.loopback import is_loopback_host, refuse_browser


class Controlled(Protocol):
    def status(self) -> dict[str, Any]: ...
    def events_since(self, seq: int) -> list[dict[str, Any]]: ...
    def partition(self, a: str, b: str) -> None: ...
    def heal(self, a: str | None, b: str | None) -> None: ...
    def region_names(self) -> tuple[str, ...]: ...


class BadRequest(Exception):
    pass


def refused_body(refused: tuple[int, str]) -> tuple[int, dict[str, Any]]:
    return refused[0], {"error": refused[1]}


def _handler(target: Controlled) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # requests are not events; keep stdout for replication events

        def _send(self, code: int, body: dict[str, Any], *, close: bool = False) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if close:  # the request body was not read: this connection cannot go on
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            if length > 10_000:
                raise BadRequest("body too large")
            raw = self.rfile.read(length) if length else b"{}"
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                raise BadRequest("body must be JSON") from None
            if not isinstance(body, dict):
                raise BadRequest("body must be a JSON object")
            return body

        def _pair(self, body: dict[str, Any], *, optional: bool) -> tuple[str | None, str | None]:
            a, b = body.get("a"), body.get("b")
            if optional and a is None and b is None:
                return None, None
            names = target.region_names()
            if a not in names or b not in names or a == b:
                raise BadRequest(f'"a" and "b" must be two different regions of {list(names)}')
            return str(a), str(b)

        def _foreign_host(self) -> bool:
            """DNS rebinding: refuse a Host that is not loopback (421), like every local API."""
            host = self.headers.get("Host", "")
            if is_loopback_host(host):
                return False
            data = json.dumps({"error": f"the replicator serves loopback hosts only, not {host!r}"})
            self.send_response(421)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")  # the body, if any, was not read
            self.end_headers()
            self.wfile.write(data.encode())
            self.close_connection = True
            return True

        def do_GET(self) -> None:
            if self._foreign_host():
                return
            if (origin := self.headers.get("Origin")) is not None:
                refused = refuse_browser("GET", origin, None, what="replicator's control API")
                if refused is not None:
                    self._send(*refused_body(refused))
                    return
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/status":
                self._send(200, target.status())
            elif url.path == "/events":
                q = urllib.parse.parse_qs(url.query)
                try:
                    since = int(q.get("since", ["0"])[0])
                except ValueError:
                    self._send(400, {"error": "since must be a whole number"})
                    return
                self._send(200, {"events": target.events_since(since)})
            else:
                self._send(404, {"error": "unknown path; try /status, /events"})

        def do_POST(self) -> None:
            if self._foreign_host():
                return
            refused = refuse_browser(
                "POST",
                self.headers.get("Origin"),
                self.headers.get("Content-Type"),
                what="replicator's control API",
            )
            if refused is not None:
                self._send(*refused_body(refused), close=True)
                return
            actions: dict[str, Callable[[dict[str, Any]], None]] = {
                "/partition": lambda body: target.partition(*self._pair(body, optional=False)),  # type: ignore[arg-type]
                "/heal": lambda body: target.heal(*self._pair(body, optional=True)),
            }
            action = actions.get(urllib.parse.urlsplit(self.path).path)
            if action is None:
                self._send(404, {"error": "unknown path; try /partition, /heal"})
                return
            try:
                action(self._body())
            except BadRequest as exc:
                self._send(400, {"error": str(exc)})
                return
            self._send(200, {"ok": True, "partitions": target.status()["partitions"]})

    return Handler


class ControlServer:
    def __init__(self, target: Controlled, host: str, port: int) -> None:
        self.httpd = ThreadingHTTPServer((host, port), _handler(target))
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="control", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
