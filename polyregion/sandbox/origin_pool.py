"""The edge's connections to its origins: keep-alive HTTP/1.1 on asyncio, parsed by httptools.

Why not httpx here: under 200 concurrent viewers the edge spent most of its CPU in httpcore's
pool bookkeeping (every request walks every connection, asking each socket whether it is
readable), served ~250 req/s with p99 over 1 s and timed viewers out (bench/edge.py,
py-spy). This pool does only what a reverse proxy needs: one idle list per origin address,
a connection per request in flight, no limit but the viewers' own concurrency.

How it answers the edge's failure cases:
- the origin answers before it has read the body (413 for a body over its limit) and closes:
  the response is read as it arrives, while the body is still being written, so the origin's
  answer is what the viewer gets, never a write error (a 502);
- the origin closes a kept-alive connection (after a 500, or its idle timeout): a request that
  got no byte back on a *reused* connection is sent again once on a new one (the origin never
  saw it: nothing came back and the connection was already closing); connections are not
  reused after a 5xx, `Connection: close` or a response without a known length;
- connect failure -> `OriginConnectError`; no complete answer in time -> `OriginTimeout`;
  anything else -> `OriginProtocolError`.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Final, cast

import httptools

MAX_IDLE_PER_ORIGIN: Final = 512


class OriginError(Exception):
    """The origin could not be asked or did not answer (the edge's 502/504)."""


class OriginConnectError(OriginError):
    pass


class OriginTimeout(OriginError):
    pass


class OriginProtocolError(OriginError):
    pass


@dataclass(slots=True)
class OriginResponse:
    status: int
    headers: list[tuple[str, str]]  # as received, minus nothing: the edge filters hop-by-hop
    body: bytes


@dataclass(slots=True)
class _Exchange:
    """The parser's view of one response."""

    status: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)
    done: asyncio.Future[None] | None = None


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.exchange: _Exchange | None = None
        self.parser: httptools.HttpResponseParser | None = None
        self.got_bytes = False  # of the current (or last) exchange
        self.head = False  # the current exchange is a HEAD: its answer ends with the headers
        self.keep_alive = False  # the current answer allows reusing the connection
        self._drained: asyncio.Event = asyncio.Event()
        self._drained.set()

    # -- asyncio.Protocol ----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport; they implement it.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self.exchange is None or self.parser is None:
            self._close()  # bytes nobody asked for: this connection is unusable
            return
        self.got_bytes = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(OriginProtocolError("the origin switched protocols"))
        except httptools.HttpParserError as exc:
            self._fail(OriginProtocolError(f"unparseable answer from the origin: {exc}"))

    def eof_received(self) -> bool:
        # A response without Content-Length ends at EOF.
        if self.parser is not None and self.exchange is not None and self.got_bytes:
            try:
                self.parser.feed_data(b"")
            except httptools.HttpParserError:
                pass
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._drained.set()
        self._fail(OriginProtocolError(f"the origin closed the connection ({exc or 'EOF'})"))

    def pause_writing(self) -> None:
        self._drained.clear()

    def resume_writing(self) -> None:
        self._drained.set()

    # -- httptools callbacks -------------------------------------------------------------
    def on_status(self, status: bytes) -> None:
        assert self.exchange is not None and self.parser is not None
        self.exchange.status = self.parser.get_status_code()

    def on_header(self, name: bytes, value: bytes) -> None:
        assert self.exchange is not None
        self.exchange.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        # Asked now: once the message is complete the parser no longer knows (it says False).
        assert self.parser is not None
        self.keep_alive = self.parser.should_keep_alive()
        # httptools cannot be told that a HEAD answer has no body (its Content-Length is that
        # of the GET): it ends here, and the next exchange gets a new parser.
        if self.head:
            self.on_message_complete()

    def on_body(self, body: bytes) -> None:
        assert self.exchange is not None
        self.exchange.chunks.append(body)

    def on_message_complete(self) -> None:
        exchange = self.exchange
        if exchange is not None and exchange.done is not None and not exchange.done.done():
            exchange.done.set_result(None)

    # -- use -----------------------------------------------------------------------------
    def _fail(self, exc: OriginError) -> None:
        exchange = self.exchange
        if exchange is not None and exchange.done is not None and not exchange.done.done():
            exchange.done.set_exception(exc)

    def _close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    async def exchange_once(
        self, head: bytes, body: bytes, *, is_head: bool, timeout_s: float
    ) -> tuple[_Exchange, bool]:
        """Send one request, return (the response, whether the connection can be reused)."""
        assert self.transport is not None
        self.head = is_head
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        exchange = self.exchange = _Exchange(done=done)
        self.parser = httptools.HttpResponseParser(self)
        self.got_bytes = False
        self.keep_alive = False
        # A timer on the future, not asyncio.wait_for: no extra task per request.
        timer = loop.call_later(timeout_s, self._fail, OriginTimeout("no answer in time"))
        try:
            self.transport.write(head)
            if body:
                self.transport.write(body)
            # The response is read while the body is still being written: an early answer
            # (413) is complete before the write side fails.
            await done
        finally:
            timer.cancel()
            self.exchange = None
        reusable = (
            not self.closed and self.keep_alive and exchange.status < 500 and self._drained.is_set()
        )
        return exchange, reusable


class OriginPool:
    """Keep-alive connections to origins, one idle list per (ip, port)."""

    def __init__(self, *, connect_timeout_s: float, response_timeout_s: float) -> None:
        self.connect_timeout_s = connect_timeout_s
        self.response_timeout_s = response_timeout_s
        self._idle: defaultdict[tuple[str, int], list[_Connection]] = defaultdict(list)
        self.opened = 0

    async def request(
        self,
        ip: str,
        port: int,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> OriginResponse:
        """One request; `headers` must not carry Content-Length (it is set from `body`)."""
        lines = [f"{method} {target} HTTP/1.1"]
        lines += [f"{k}: {v}" for k, v in headers]
        if body or method not in ("GET", "HEAD", "OPTIONS", "DELETE"):
            lines.append(f"content-length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        key = (ip, port)
        while True:
            conn, reused = await self._acquire(key)
            try:
                exchange, reusable = await conn.exchange_once(
                    head, body, is_head=method == "HEAD", timeout_s=self.response_timeout_s
                )
            except OriginTimeout:
                conn._close()
                raise
            except OriginProtocolError:
                conn._close()
                if reused and not conn.got_bytes:
                    continue  # a stale kept-alive connection: the origin never saw this
                raise
            except BaseException:
                conn._close()
                raise
            if reusable:
                idle = self._idle[key]
                if len(idle) < MAX_IDLE_PER_ORIGIN:
                    idle.append(conn)
                else:
                    conn._close()
            else:
                conn._close()
            return OriginResponse(exchange.status, exchange.headers, b"".join(exchange.chunks))

    async def _acquire(self, key: tuple[str, int]) -> tuple[_Connection, bool]:
        idle = self._idle[key]
        while idle:
            conn = idle.pop()
            if not conn.closed:
                return conn, True
        loop = asyncio.get_running_loop()
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(_Connection, *key), self.connect_timeout_s
            )
        except TimeoutError:
            raise OriginConnectError(f"connecting to {key[0]}:{key[1]} timed out") from None
        except OSError as exc:
            raise OriginConnectError(f"cannot connect to {key[0]}:{key[1]}: {exc}") from None
        self.opened += 1
        return conn, False

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for conn in idle:
                conn._close()
        self._idle.clear()
