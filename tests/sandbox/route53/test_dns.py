"""The DNS server over real UDP/TCP sockets on loopback, with dnspython as the client."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from polyregion.sandbox.route53.dns import DnsServer
from polyregion.sandbox.route53.resolver import PerLocationRecord, Route53Resolver
from polyregion.sandbox.route53.routing import Locator
from tests.sandbox.route53.helpers import ORIGIN_IPS, three_region_topology, zone

TOPO = three_region_topology()
DOWN: set[str] = set()


@pytest.fixture(scope="module")
def server() -> Iterator[DnsServer]:
    resolver = Route53Resolver(
        lambda: zone(TOPO, ttl=42),
        Locator(TOPO, sources={"127.0.0.1": "singapore"}),
        is_healthy=lambda hc: hc not in DOWN,
        sources=[
            PerLocationRecord(
                "app.example.com", {"paris": "127.1.2.1", "new-york": "127.1.1.1"}, ttl=60
            )
        ],
    )
    srv = DnsServer(resolver, port=0, tcp_idle_timeout_s=1.0)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(autouse=True)
def _all_healthy() -> Iterator[None]:
    DOWN.clear()
    yield
    DOWN.clear()


def query(
    server: DnsServer, name: str, subnet: str | None = None, rdtype: str = "A", tcp: bool = False
) -> dns.message.Message:
    options = []
    if subnet is not None:
        addr, prefix = subnet.split("/")
        options.append(dns.edns.ECSOption(addr, int(prefix)))
    q = dns.message.make_query(name, rdtype, use_edns=0 if options else None, options=options)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(q, server.host, port=server.port, timeout=3)


def a_values(msg: dns.message.Message) -> list[str]:
    return [rd.address for rrset in msg.answer for rd in rrset if rrset.rdtype == dns.rdatatype.A]


def test_ecs_selects_the_location_and_its_nearest_region(server: DnsServer) -> None:
    assert a_values(query(server, "origin.example.com", "203.0.113.0/24")) == [
        ORIGIN_IPS["eu-west-1"]
    ]
    assert a_values(query(server, "origin.example.com", "198.51.100.7/32")) == [
        ORIGIN_IPS["us-east-1"]
    ]


def test_without_ecs_the_source_address_table_decides(server: DnsServer) -> None:
    assert a_values(query(server, "origin.example.com")) == [ORIGIN_IPS["ap-southeast-1"]]


def test_unhealthy_region_moves_the_answer_and_all_down_fails_open(server: DnsServer) -> None:
    DOWN.add("hc-eu-west-1")
    assert a_values(query(server, "origin.example.com", "203.0.113.0/24")) == [
        ORIGIN_IPS["us-east-1"]
    ]
    DOWN.update({"hc-us-east-1", "hc-ap-southeast-1"})
    assert a_values(query(server, "origin.example.com", "203.0.113.0/24")) == [
        ORIGIN_IPS["eu-west-1"]
    ]


def test_answer_ttl_is_the_record_ttl_and_answers_are_authoritative(server: DnsServer) -> None:
    msg = query(server, "origin.example.com", "203.0.113.0/24")
    assert msg.answer[0].ttl == 42
    assert msg.flags & dns.flags.AA


def test_ecs_is_echoed_with_a_scope_prefix(server: DnsServer) -> None:
    msg = query(server, "origin.example.com", "203.0.113.9/32")
    (ecs,) = [o for o in msg.options if isinstance(o, dns.edns.ECSOption)]
    assert (ecs.address, ecs.srclen, ecs.scopelen) == ("203.0.113.9", 32, 24)
    outside = query(server, "origin.example.com", "10.1.2.0/24")
    (ecs,) = [o for o in outside.options if isinstance(o, dns.edns.ECSOption)]
    assert ecs.scopelen == 0  # the default location's answer holds for any subnet


def test_pluggable_source_answers_app_per_location(server: DnsServer) -> None:
    msg = query(server, "app.example.com", "203.0.113.0/24")
    assert a_values(msg) == ["127.1.2.1"]
    assert msg.answer[0].ttl == 60


def test_nxdomain_inside_the_zone_refused_outside(server: DnsServer) -> None:
    missing = query(server, "nope.example.com")
    assert missing.rcode() == dns.rcode.NXDOMAIN
    assert missing.authority[0].rdtype == dns.rdatatype.SOA
    assert query(server, "example.org").rcode() == dns.rcode.REFUSED
    nodata = query(server, "origin.example.com", rdtype="AAAA")
    assert (nodata.rcode(), nodata.answer) == (dns.rcode.NOERROR, [])


def test_apex_soa_ns_and_cname(server: DnsServer) -> None:
    assert query(server, "example.com", rdtype="SOA").answer[0].rdtype == dns.rdatatype.SOA
    assert query(server, "example.com", rdtype="NS").answer[0].rdtype == dns.rdatatype.NS
    cname = query(server, "www.example.com")
    assert cname.answer[0].rdtype == dns.rdatatype.CNAME


def test_tcp_answers_several_queries_on_one_connection(server: DnsServer) -> None:
    assert a_values(query(server, "origin.example.com", "203.0.113.0/24", tcp=True)) == [
        ORIGIN_IPS["eu-west-1"]
    ]
    with socket.create_connection(server.address, timeout=3) as s:
        for subnet, region in (("203.0.113.0/24", "eu-west-1"), ("198.51.100.0/24", "us-east-1")):
            addr, prefix = subnet.split("/")
            q = dns.message.make_query(
                "origin.example.com",
                "A",
                use_edns=0,
                options=[dns.edns.ECSOption(addr, int(prefix))],
            )
            dns.query.send_tcp(s, q)
            reply, _ = dns.query.receive_tcp(s)
            assert a_values(reply) == [ORIGIN_IPS[region]]


def test_keeps_answering_after_malformed_udp_and_truncated_tcp(server: DnsServer) -> None:
    garbage = [b"", b"\x00", b"\xff" * 11, b"\x12\x34" + b"\xff" * 40, bytes(range(256)) * 2]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.settimeout(1)
        for g in garbage:
            u.sendto(g, server.address)
        # A readable header with a broken body gets FORMERR echoing its id; shorter garbage
        # gets nothing.
        u.sendto(b"\xbe\xef\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07trunc", server.address)
        replies = {}
        while True:
            try:
                reply = dns.message.from_wire(u.recv(512))
            except TimeoutError:
                break
            replies[reply.id] = reply.rcode()
            u.settimeout(0.3)
        assert replies == dict.fromkeys((0x0001, 0x1234, 0xBEEF), dns.rcode.FORMERR)
    # TCP: a length prefix promising more than is sent, then the client goes quiet.
    hung = socket.create_connection(server.address, timeout=3)
    hung.sendall(struct.pack("!H", 300) + b"\x00\x01")
    short = socket.create_connection(server.address, timeout=3)
    short.sendall(b"\x05")
    short.close()
    try:
        assert a_values(query(server, "origin.example.com", "203.0.113.0/24")) == [
            ORIGIN_IPS["eu-west-1"]
        ]
        assert a_values(query(server, "origin.example.com", "203.0.113.0/24", tcp=True)) == [
            ORIGIN_IPS["eu-west-1"]
        ]
    finally:
        hung.close()
    assert server.stats.queries > 0


def test_non_loopback_host_is_rejected() -> None:
    from polyregion.errors import SandboxError

    resolver = Route53Resolver(lambda: None, Locator(TOPO))
    with pytest.raises(SandboxError, match="loopback"):
        DnsServer(resolver, host="0.0.0.0")


def test_port_in_use_is_a_clear_error(server: DnsServer) -> None:
    from polyregion.errors import SandboxError

    other = DnsServer(server.resolver, port=server.port)
    with pytest.raises(SandboxError, match="in use"):
        other.start()


# -- RFC 1035 / 6891 conformance (issue 15, item 11) -----------------------------------------
def _udp_raw(server: DnsServer, wire: bytes, timeout: float = 0.5) -> bytes | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(wire, server.address)
        try:
            return s.recv(65535)
        except TimeoutError:
            return None


def test_a_message_with_qr_set_is_never_answered(server: DnsServer) -> None:
    """RFC 1035 4.1.1: QR=1 is a response; answering responses lets two servers loop."""
    q = dns.message.make_query("origin.example.com", "A")
    q.flags |= dns.flags.QR
    assert _udp_raw(server, q.to_wire()) is None
    assert query(server, "origin.example.com").rcode() == dns.rcode.NOERROR  # still serving


def _name_wire(labels: list[bytes]) -> bytes:
    return b"".join(bytes([len(label)]) + label for label in labels) + b"\0"


def _raw_query(qname_wire: bytes, qid: int = 0x4242) -> bytes:
    header = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    return header + qname_wire + struct.pack("!HH", 1, 1)


@pytest.mark.parametrize(
    "labels",
    [
        [b"a" * 64, b"example", b"com"],  # a label over 63 bytes
        [b"b" * 63] * 4 + [b"example", b"com"],  # a name over 255 bytes
    ],
    ids=["64-byte label", "name over 255 bytes"],
)
def test_an_oversized_label_or_name_is_formerr_without_a_traceback(
    server: DnsServer, labels: list[bytes], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    reply = _udp_raw(server, _raw_query(_name_wire(labels)))
    assert reply is not None
    header = struct.unpack("!HHHHHH", reply[:12])
    assert header[0] == 0x4242
    assert header[1] & 0x8000  # QR: a response
    assert header[1] & 0x000F == dns.rcode.FORMERR
    assert not [r for r in caplog.records if r.exc_info]


def test_chaos_class_is_refused_never_answered_with_in_data(server: DnsServer) -> None:
    q = dns.message.make_query("app.example.com", "TXT", rdclass="CH")
    r = dns.query.udp(q, server.host, port=server.port, timeout=2)
    assert r.rcode() in (dns.rcode.REFUSED, dns.rcode.NOTIMP)
    assert r.answer == []
    q = dns.message.make_query("origin.example.com", "A", rdclass="CH")
    r = dns.query.udp(q, server.host, port=server.port, timeout=2)
    assert r.rcode() in (dns.rcode.REFUSED, dns.rcode.NOTIMP)
    assert r.answer == []


def test_an_edns_version_above_0_gets_badvers(server: DnsServer) -> None:
    """RFC 6891 6.1.3: a responder that does not implement the version answers BADVERS,
    with an OPT record of the version it does implement (0) and no answer."""
    q = dns.message.make_query("origin.example.com", "A", use_edns=1)
    r = dns.query.udp(q, server.host, port=server.port, timeout=2)
    assert r.rcode() == dns.rcode.BADVERS
    assert r.edns == 0
    assert r.answer == []
