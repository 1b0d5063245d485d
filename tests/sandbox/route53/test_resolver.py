"""DNS message rules without sockets: one message in, one out."""

from __future__ import annotations

import struct

import dnslib
import pytest

from polyregion.sandbox.route53.resolver import (
    MalformedQuery,
    PerLocationRecord,
    Route53Resolver,
    parse_ecs,
)
from polyregion.sandbox.route53.routing import Locator, Reason
from tests.sandbox.route53.helpers import ORIGIN_IPS, three_region_topology, zone

TOPO = three_region_topology()
RESOLVER = Route53Resolver(
    lambda: zone(TOPO),
    Locator(TOPO),
    sources=[PerLocationRecord("app.example.com", {"paris": "127.1.2.1"}, ttl=60)],
)


def ask(name: str, qtype: str = "A", ecs: bytes | None = None, opcode: int = 0) -> dnslib.DNSRecord:
    q = dnslib.DNSRecord.question(name, qtype)
    q.header.opcode = opcode
    if ecs is not None:
        q.add_ar(dnslib.EDNS0(udp_len=1232, opts=[dnslib.EDNSOption(8, ecs)]))
    return RESOLVER.answer(q, "127.0.0.1")


def test_other_opcodes_are_not_implemented_and_empty_questions_are_formerr() -> None:
    assert ask("origin.example.com", opcode=2).header.rcode == dnslib.RCODE.NOTIMP
    assert RESOLVER.answer(dnslib.DNSRecord(), None).header.rcode == dnslib.RCODE.FORMERR


def test_malformed_ecs_is_formerr_and_ipv6_ecs_goes_to_the_default_location() -> None:
    bad = struct.pack("!HBB", 1, 24, 0) + b"\xcb"  # /24 needs 3 address bytes
    assert ask("origin.example.com", ecs=bad).header.rcode == dnslib.RCODE.FORMERR
    v6 = struct.pack("!HBB", 2, 48, 0) + bytes(6)
    reply = ask("origin.example.com", ecs=v6)
    assert [str(rr.rdata) for rr in reply.rr] == [ORIGIN_IPS["us-east-1"]]  # new-york: default


@pytest.mark.parametrize(
    ("data", "error"),
    [(b"\x00\x01", "shorter"), (struct.pack("!HBB", 1, 33, 0) + bytes(5), "above 32"),
     (struct.pack("!HBB", 9, 0, 0), "family")],
)  # fmt: skip
def test_parse_ecs_rejects(data: bytes, error: str) -> None:
    with pytest.raises(MalformedQuery, match=error):
        parse_ecs(data)


def test_unknown_types_get_nodata_and_answers_have_no_recursion() -> None:
    for qtype in ("TXT", "MX", "ANY"):
        reply = ask("origin.example.com", qtype)
        assert (reply.header.rcode, reply.rr) == (dnslib.RCODE.NOERROR, [])
    reply = ask("origin.example.com")
    assert (reply.header.aa, reply.header.ra) == (1, 0)


def test_resolve_for_reports_record_and_reason() -> None:
    res = RESOLVER.resolve_for("origin.example.com", "paris")
    assert res is not None and res.record is not None
    assert (res.values, res.ttl, res.record.region, res.reason) == (
        (ORIGIN_IPS["eu-west-1"],), 60, "eu-west-1", Reason.NEAREST,
    )  # fmt: skip
    app = RESOLVER.resolve_for("app.example.com", "paris")
    assert app is not None and (app.values, app.record) == (("127.1.2.1",), None)
    assert RESOLVER.resolve_for("app.example.com", "singapore") is None  # no edge there
