"""Tiny HTTP origins on per-region loopback addresses whose health status a test can set."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Origin:
    def __init__(self, ip: str) -> None:
        self.status = 200
        self.hits = 0
        origin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                origin.hits += 1
                self.send_response(origin.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer((ip, 0), Handler)
        self.ip, self.port = ip, int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def origins(ips: dict[str, str]) -> Iterator[dict[str, Origin]]:
    started: dict[str, Origin] = {}
    try:
        for region, ip in ips.items():
            started[region] = Origin(ip)
        yield started
    finally:
        for o in started.values():
            o.close()
