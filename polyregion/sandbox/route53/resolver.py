"""The authoritative answers of the emulated Route 53: one DNS message in, one out.

Separated from the sockets (dns.py) so every rule is tested with plain function calls:
- the querier's location comes from the EDNS client subnet (RFC 7871), else from its source
  address, else a default (routing.Locator); the ECS option is echoed with a scope prefix;
- latency / failover / simple record sets are chosen by routing.choose, health-aware;
- the TTL of an answer is the record's; NXDOMAIN (with the SOA) for unknown names in the zone,
  NODATA for known names without that type, REFUSED outside the zone or the IN class, NOTIMP
  for non-queries, BADVERS for an EDNS version above 0 (RFC 6891);
- names such as app.<domain> can be answered by pluggable `RecordSource`s (the sandbox's edges).
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from dnslib import CLASS, EDNS0, OPCODE, QTYPE, RCODE, RR, DNSRecord, EDNSOption

from polyregion.sandbox.route53.routing import (
    Located,
    Locator,
    Reason,
    RecordSet,
    ZoneSnapshot,
    choose,
    normalize,
)

ECS_OPTION: Final = 8  # EDNS Client Subnet [RFC 7871]
EDNS_UDP_SIZE: Final = 4096
DEFAULT_SOA_TTL: Final = 900
BADVERS: Final = 16  # RFC 6891 extended RCODE


def _edns_version(opt: RR) -> int:
    """The OPT record's EDNS version: the second byte of its TTL field (RFC 6891 6.1.3)."""
    return (int(opt.ttl) >> 16) & 0xFF


@functools.lru_cache(maxsize=4096)
def _rrs(zone_line: str) -> tuple[RR, ...]:
    """Parsing zone text is most of the cost of an answer: memoize (RRs are only packed)."""
    return tuple(RR.fromZone(zone_line))


class MalformedQuery(ValueError):
    """The message parses as DNS but breaks a rule we answer FORMERR to."""


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    """What a record source returns: values of one type with their TTL."""

    values: tuple[str, ...]
    ttl: int
    type: str = "A"


class RecordSource(Protocol):
    """Answers one name outside the stored records (e.g. app.<domain> -> the location's edge)."""

    @property
    def name(self) -> str: ...

    def answer(self, located: Located) -> DnsAnswer | None: ...


@dataclass(frozen=True, slots=True)
class PerLocationRecord:
    """A record whose value depends on the querier's location, like CloudFront's edge choice."""

    name: str
    ips: Mapping[str, str]  # location name -> IP
    ttl: int
    default_ip: str | None = None

    def answer(self, located: Located) -> DnsAnswer | None:
        ip = self.ips.get(located.location or "", self.default_ip)
        return None if ip is None else DnsAnswer((ip,), self.ttl)


@dataclass(frozen=True, slots=True)
class Resolution:
    """How a name resolves for one location (for status, dashboards, drills and tests)."""

    values: tuple[str, ...]
    ttl: int
    record: RecordSet | None  # None when a RecordSource answered
    reason: Reason | None


def parse_ecs(data: bytes) -> tuple[int, int, ipaddress.IPv4Network | None]:
    """(family, source prefix, IPv4 network or None); MalformedQuery on a bad option."""
    if len(data) < 4:
        raise MalformedQuery("ECS option shorter than 4 bytes")
    family, source, _scope = int.from_bytes(data[:2], "big"), data[2], data[3]
    addr = data[4:]
    if len(addr) != (source + 7) // 8:
        raise MalformedQuery("ECS address length does not match its source prefix")
    if family == 1:
        if source > 32:
            raise MalformedQuery("ECS IPv4 source prefix above 32")
        raw = bytes(addr) + bytes(4 - len(addr))
        return family, source, ipaddress.IPv4Network((raw, source), strict=False)
    if family == 2 and source <= 128:
        return family, source, None  # IPv6 clients: no simulated location has one
    raise MalformedQuery(f"ECS family {family} unsupported")


def ecs_option(family: int, source: int, scope: int, data: bytes) -> EDNSOption:
    return EDNSOption(ECS_OPTION, family.to_bytes(2, "big") + bytes([source, scope]) + data[4:])


class Route53Resolver:
    """Answers queries from the current zone snapshot and the checkers' health."""

    def __init__(
        self,
        zone: Callable[[], ZoneSnapshot | None],
        locator: Locator,
        *,
        is_healthy: Callable[[str], bool] = lambda _id: True,
        sources: Sequence[RecordSource] = (),
    ) -> None:
        self._zone = zone
        self.locator = locator
        self._is_healthy = is_healthy
        self._sources = {normalize(s.name): s for s in sources}

    def set_source(self, source: RecordSource) -> None:
        """Add or replace the source answering `source.name` (atomic dict assignment)."""
        self._sources = {**self._sources, normalize(source.name): source}

    # -- the routing decision, without DNS messages ---------------------------------------
    def resolve(self, qname: str, located: Located, qtype: str = "A") -> Resolution | None:
        name = normalize(qname)
        source = self._sources.get(name)
        if source is not None and qtype == "A":
            ans = source.answer(located)
            return None if ans is None else Resolution(ans.values, ans.ttl, None, None)
        zone = self._zone()
        if zone is None:
            return None
        selection = choose(
            zone.lookup(name, qtype),
            latency_to=lambda region: self.locator.latency_ms(located.location, region),
            is_healthy=self._is_healthy,
        )
        if selection is None:
            return None
        r = selection.record
        return Resolution(r.values, r.ttl, r, selection.reason)

    def resolve_for(self, qname: str, location: str | None) -> Resolution | None:
        """What a client in `location` gets for `qname` right now."""
        return self.resolve(qname, Located(location, 0, "default"))

    # -- DNS messages -------------------------------------------------------------------
    def answer(self, request: DNSRecord, source_ip: str | None) -> DNSRecord:
        reply = request.reply()  # copies id and question; sets QR, AA, RD
        reply.header.ra = 0  # authoritative only, like Route 53
        reply.header.ad = 0  # no DNSSEC validation happens here
        if request.header.opcode != OPCODE.QUERY:
            reply.header.rcode = RCODE.NOTIMP
            return reply
        if len(request.questions) != 1:
            reply.header.rcode = RCODE.FORMERR
            return reply
        opt = next((rr for rr in request.ar if rr.rtype == QTYPE.OPT), None)
        if opt is not None and _edns_version(opt) > 0:
            # RFC 6891 6.1.3: BADVERS (16: extended RCODE 1 in the OPT, header RCODE 0), with
            # an OPT of the version implemented here (0), and no answer.
            reply.header.aa = 0
            reply.header.rcode = BADVERS & 0xF
            reply.add_ar(EDNS0(udp_len=EDNS_UDP_SIZE, ext_rcode=BADVERS >> 4))
            return reply
        if request.q.qclass != CLASS.IN:
            # Route 53 serves the Internet class only: CHAOS (version.bind, ...) and the rest
            # are refused, never answered with IN data.
            reply.header.aa = 0
            reply.header.rcode = RCODE.REFUSED
            return reply
        ecs_raw = None
        if opt is not None:
            ecs_raw = next((o.data for o in opt.rdata if o.code == ECS_OPTION), None)
        try:
            ecs = parse_ecs(bytes(ecs_raw)) if ecs_raw is not None else None
        except MalformedQuery:
            reply.header.rcode = RCODE.FORMERR
            return reply
        located = self.locator.locate(ecs[2] if ecs else None, source_ip)
        if opt is not None:
            opts = []
            if ecs is not None and ecs_raw is not None:
                family, source_prefix, _ = ecs
                scope = located.scope_prefix if located.via == "ecs" else 0
                opts.append(ecs_option(family, source_prefix, scope, bytes(ecs_raw)))
            reply.add_ar(EDNS0(udp_len=EDNS_UDP_SIZE, opts=opts))
        self._fill(reply, request, located)
        return reply

    def _fill(self, reply: DNSRecord, request: DNSRecord, located: Located) -> None:
        q = request.q
        qname = normalize(str(q.qname))
        qtype = QTYPE.get(q.qtype, str(q.qtype))
        zone = self._zone()
        in_sources = qname in self._sources
        if not in_sources and (zone is None or not zone.contains(qname)):
            reply.header.aa = 0
            reply.header.rcode = RCODE.REFUSED
            return
        resolution = self.resolve(qname, located, qtype)
        if resolution is None and qtype != "CNAME":
            resolution = self.resolve(qname, located, "CNAME")  # a CNAME answers any type
            qtype = "CNAME" if resolution is not None else qtype
        if resolution is not None:
            for value in resolution.values:
                reply.add_answer(*_rrs(f"{qname}. {resolution.ttl} IN {qtype} {value}"))
            return
        exists = in_sources or (zone is not None and zone.has_name(qname))
        if not exists:
            reply.header.rcode = RCODE.NXDOMAIN
        if zone is not None:  # negative answers carry the SOA (RFC 2308)
            for soa in zone.lookup(zone.name, "SOA")[:1]:
                minimum = int(soa.values[0].split()[-1]) if soa.values else DEFAULT_SOA_TTL
                ttl = min(soa.ttl, minimum)
                reply.add_auth(*_rrs(f"{zone.name}. {ttl} IN SOA {soa.values[0]}"))
