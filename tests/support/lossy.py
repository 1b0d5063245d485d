"""An HTTP proxy in front of moto that can lose responses: the request reaches moto and is
applied, but the client never hears back (its connection is closed), as when a response is
lost on the network or arrives after the SDK's read timeout. The SDK then retries the call.

Only the response is lost, never the request, so this reproduces "succeeded server-side,
failed client-side" for real, with moto doing the work and botocore doing the retry.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# Hop-by-hop headers are the proxy's own business, not the upstream's.
_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection"}


class LossyProxy:
    """Forwards every request to `upstream`; loses the responses `lose()` asks for."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._lock = threading.Lock()
        self._to_lose: dict[str, int] = {}
        self.seen: list[tuple[str, bytes]] = []  # (X-Amz-Target, body) of every request
        self.lost: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                proxy._forward(self)

            do_GET = do_PUT = do_DELETE = do_HEAD = do_POST

            def log_message(self, format: str, *args: object) -> None:
                return  # quiet: test output stays readable

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def lose(self, operation: str, times: int = 1) -> None:
        """Lose the responses of the next `times` calls of `operation` ("TransactWriteItems")."""
        with self._lock:
            self._to_lose[operation] = self._to_lose.get(operation, 0) + times

    def bodies(self, operation: str) -> list[bytes]:
        with self._lock:
            return [body for target, body in self.seen if target.endswith(f".{operation}")]

    def _forward(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        target = handler.headers.get("X-Amz-Target", "")
        operation = target.rpartition(".")[2]
        with self._lock:
            self.seen.append((target, body))
            drop = self._to_lose.get(operation, 0) > 0
            if drop:
                self._to_lose[operation] -= 1
                self.lost.append(operation)
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP}
        conn = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            conn.request(handler.command, handler.path, body=body, headers=headers)
            upstream = conn.getresponse()
            payload = upstream.read()  # moto has applied the call once this returns
        finally:
            conn.close()
        if drop:
            handler.close_connection = True  # the answer is lost: the client sees a cut
            return
        handler.send_response(upstream.status)
        for k, v in upstream.getheaders():
            if k.lower() not in _HOP and k.lower() != "content-length":
                handler.send_header(k, v)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(payload)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(10)


@contextmanager
def lossy_proxy(upstream: str) -> Iterator[LossyProxy]:
    proxy = LossyProxy(upstream)
    try:
        yield proxy
    finally:
        proxy.close()
