"""The DNS data plane: a real authoritative server on loopback, UDP and TCP, one port.

dnslib parses and packs the messages; the sockets are ours (socketserver) rather than
dnslib's DNSServer because that one handles a single query per TCP connection, waits forever
on a truncated TCP message, and prints a traceback for each malformed packet. Here malformed
input gets FORMERR when its header is readable and is dropped otherwise; a TCP connection
carries any number of queries and closes after `tcp_idle_timeout_s` without a full message.
Messages with QR set (responses) are dropped, and a question name breaking RFC 1035's size
limits (63-byte labels, 255-byte names) gets FORMERR with no question echoed.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import socketserver
import struct
import threading
from dataclasses import dataclass
from typing import Any, Final

from dnslib import QTYPE, RCODE, DNSHeader, DNSRecord
from dnslib.buffer import Buffer

from polyregion.errors import SandboxError
from polyregion.sandbox.route53.resolver import Route53Resolver

log = logging.getLogger(__name__)
CLASSIC_UDP_SIZE: Final = 512
MAX_LABEL: Final = 63
MAX_NAME: Final = 255


@dataclass
class DnsStats:
    queries: int = 0
    malformed: int = 0


def handle_message(
    resolver: Route53Resolver, data: bytes, source_ip: str, *, udp: bool
) -> bytes | None:
    """One wire message in, the wire reply out (None: unparseable, send nothing)."""
    try:
        request = DNSRecord.parse(data)
    except Exception:  # untrusted bytes: dnslib raises many kinds of errors on garbage
        return _error_reply(data, RCODE.FORMERR)
    if request.header.qr:
        return None  # RFC 1035 4.1.1: a response; answering one lets two servers loop
    if any(not _valid_name(q.qname.label) for q in request.questions):
        # RFC 1035 2.3.4: labels of 63 bytes at most, names of 255. The reply cannot echo
        # such a question (it would not pack): a bare header.
        return _error_reply(data, RCODE.FORMERR)
    try:
        reply = resolver.answer(request, source_ip)
        packed = bytes(reply.pack())
    except Exception:  # a bad stored record must not take the server down
        log.exception("cannot answer %s", request.q.qname if request.questions else "?")
        return _error_reply(data, RCODE.SERVFAIL)
    limit = CLASSIC_UDP_SIZE
    opt = [rr for rr in request.ar if rr.rtype == QTYPE.OPT]
    if opt:
        limit = max(CLASSIC_UDP_SIZE, int(opt[0].rclass))  # OPT's class is the UDP size
    if udp and len(packed) > limit:
        packed = bytes(reply.truncate().pack())
    return packed


def _valid_name(labels: tuple[bytes, ...]) -> bool:
    """RFC 1035 2.3.4: every label <= 63 bytes, the whole name <= 255 bytes on the wire."""
    return all(len(label) <= MAX_LABEL for label in labels) and (
        sum(len(label) + 1 for label in labels) + 1 <= MAX_NAME
    )


def _error_reply(data: bytes, rcode: int) -> bytes | None:
    """A bare reply echoing the id, when at least the 12-byte header is readable."""
    if len(data) < 12:
        return None
    try:
        header = DNSHeader.parse(Buffer(data[:12]))
    except Exception:
        return None
    return bytes(DNSRecord(DNSHeader(id=header.id, qr=1, opcode=header.opcode, rcode=rcode)).pack())


class DnsServer:
    """UDP + TCP DNS server on `host:port` (port 0: pick a free one) answering via `resolver`."""

    def __init__(
        self,
        resolver: Route53Resolver,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tcp_idle_timeout_s: float = 5.0,
    ) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise SandboxError(f"DNS server host {host} is not a loopback address; use 127.0.0.1")
        self.resolver = resolver
        self.host = host
        self.requested_port = port
        self.tcp_idle_timeout_s = tcp_idle_timeout_s
        self.stats = DnsStats()
        self._udp: socketserver.UDPServer | None = None
        self._tcp: socketserver.ThreadingTCPServer | None = None
        self._threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        if self._udp is None:
            raise SandboxError("DNS server is not started")
        return int(self._udp.server_address[1])

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    def start(self) -> None:
        if self._udp is not None:
            return
        server = self

        class Udp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data, sock = self.request
                server.stats.queries += 1
                out = handle_message(server.resolver, data, self.client_address[0], udp=True)
                if out is None:
                    server.stats.malformed += 1
                else:
                    sock.sendto(out, self.client_address)

        class Tcp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn: socket.socket = self.request
                conn.settimeout(server.tcp_idle_timeout_s)
                while True:
                    head = _recv_exact(conn, 2)
                    if head is None:
                        return
                    data = _recv_exact(conn, struct.unpack("!H", head)[0])
                    if data is None:  # truncated message: drop the connection
                        server.stats.malformed += 1
                        return
                    server.stats.queries += 1
                    out = handle_message(server.resolver, data, self.client_address[0], udp=False)
                    if out is None:
                        server.stats.malformed += 1
                        return
                    conn.sendall(struct.pack("!H", len(out)) + out)

        udp, tcp = self._bind(Udp, Tcp)
        self._udp, self._tcp = udp, tcp
        for srv, name in ((udp, "dns-udp"), (tcp, "dns-tcp")):
            t = threading.Thread(
                target=srv.serve_forever, kwargs={"poll_interval": 0.2}, name=name, daemon=True
            )
            t.start()
            self._threads.append(t)

    def _bind(self, udp_handler: type, tcp_handler: type) -> tuple[Any, Any]:
        # UDP and TCP must share the port; with port 0, retry until both sides are free.
        last: OSError | None = None
        for _ in range(20):
            try:
                udp = _QuietUdp((self.host, self.requested_port), udp_handler)
            except OSError as exc:
                last = exc
                break
            try:
                tcp = _QuietTcp((self.host, udp.server_address[1]), tcp_handler)
            except OSError as exc:
                udp.server_close()
                last = exc
                if self.requested_port:
                    break
                continue
            return udp, tcp
        raise SandboxError(
            f"DNS port {self.host}:{self.requested_port} is in use ({last}); "
            "pick another with [sandbox] dns_port"
        )

    def stop(self) -> None:
        for srv in (self._udp, self._tcp):
            if srv is not None:
                srv.shutdown()
                srv.server_close()
        for t in self._threads:
            t.join(timeout=5)
        self._udp = self._tcp = None
        self._threads = []

    def __enter__(self) -> DnsServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _recv_exact(conn: socket.socket, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        try:
            chunk = conn.recv(n - len(buf))
        except OSError:  # idle timeout or reset
            return None
        if not chunk:
            return None
        buf += chunk
    return buf


class _QuietUdp(socketserver.UDPServer):
    allow_reuse_address = False
    max_packet_size = 65535

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("DNS UDP handler error from %s", client_address, exc_info=True)


class _QuietTcp(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("DNS TCP handler error from %s", client_address, exc_info=True)
