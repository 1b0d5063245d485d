"""Resolve `origin.<domain>` through the sandbox DNS server *as a location*, honouring TTLs.

Each query carries the location's subnet as EDNS Client Subnet (RFC 7871), which is how Route 53
tells where the user is; answers are cached for their TTL, as a recursive resolver would, so a
DNS change reaches an edge only when its cached answer expires (that delay is part of failover).
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from polyregion.errors import SandboxError


class ResolveError(SandboxError):
    """The DNS server did not give an address (timeout, SERVFAIL, NXDOMAIN, no A record)."""


@dataclass(frozen=True, slots=True)
class Answer:
    ip: str
    ttl: int
    resolved_at: float  # epoch seconds
    expires: float  # monotonic

    def to_json(self) -> dict[str, Any]:
        return {"ip": self.ip, "ttl": self.ttl, "resolved_at": self.resolved_at}


def ecs_query(hostname: str, subnet: ipaddress.IPv4Network) -> Any:
    import dns.edns
    import dns.message

    option = dns.edns.ECSOption(str(subnet.network_address), subnet.prefixlen)
    return dns.message.make_query(hostname, "A", use_edns=0, options=[option])


async def query(
    hostname: str,
    subnet: ipaddress.IPv4Network,
    server: str,
    port: int,
    *,
    timeout_s: float = 1.0,
) -> tuple[str, int]:
    """One uncached A query with ECS: (address, ttl). UDP, falling back to TCP if truncated."""
    import dns.asyncquery
    import dns.exception
    import dns.rcode
    import dns.rdatatype

    q = ecs_query(hostname, subnet)
    try:
        response, _ = await dns.asyncquery.udp_with_fallback(
            q, server, timeout=timeout_s, port=port
        )
    except (dns.exception.DNSException, OSError) as exc:
        raise ResolveError(f"DNS query for {hostname} to {server}:{port} failed: {exc}") from exc
    if response.rcode() != dns.rcode.NOERROR:
        raise ResolveError(f"DNS answered {dns.rcode.to_text(response.rcode())} for {hostname}")
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.A:
            return str(next(iter(rrset))), int(rrset.ttl)
    raise ResolveError(f"DNS gave no A record for {hostname}")


PREFETCH_FRACTION = 0.1  # of the TTL: the window in which a used answer is asked again
Ask = Callable[..., Awaitable[tuple[str, int]]]  # query's signature: (address, ttl)


class LocationResolver:
    """A caching stub resolver for one simulated location.

    An answer is never used past its TTL. In the last tenth of its life, a request that uses
    it also starts asking again in the background (Unbound's `prefetch`), so a busy edge rarely
    waits for DNS; a change still reaches it within the TTL. An expired answer is asked once,
    however many requests need it: they all await the same query (single flight) and are all
    woken in one pass of the event loop when it answers. (Behind an asyncio.Lock they were woken
    one per pass: with 200 viewers on an edge at full load, each expiry queued them for
    0.3-0.9 s, bench/edge.py's p99 tail.)
    """

    def __init__(
        self,
        hostname: str,
        subnet: ipaddress.IPv4Network,
        server: str,
        port: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        timeout_s: float = 1.0,
        ask: Ask = query,
    ) -> None:
        self.hostname = hostname
        self.subnet = subnet
        self.server = server
        self.port = port
        self.clock = clock
        self.wall = wall
        self.timeout_s = timeout_s
        self.current: Answer | None = None
        self.changes = 0
        self._ask = ask
        self._in_flight: asyncio.Future[Answer] | None = None

    async def resolve(self) -> Answer:
        answer, now = self.current, self.clock()
        if answer is not None and now < answer.expires:
            if now >= answer.expires - answer.ttl * PREFETCH_FRACTION:
                self._ask_again()
            return answer
        # Shielded: a viewer that goes away must not cancel the query the others await.
        return await asyncio.shield(self._ask_again())

    def _ask_again(self) -> asyncio.Future[Answer]:
        if self._in_flight is None:
            self._in_flight = asyncio.ensure_future(self._refresh())
            self._in_flight.add_done_callback(self._done)
        return self._in_flight

    def _done(self, query: asyncio.Future[Answer]) -> None:
        # In a done callback, not in _refresh: a query cancelled before it ran never runs any
        # of it, and every later request would get its CancelledError.
        if self._in_flight is query:
            self._in_flight = None
        # Retrieved here, so a failure nobody is left waiting for is not logged as lost.
        if not query.cancelled():
            query.exception()

    async def _refresh(self) -> Answer:
        ip, ttl = await self._ask(
            self.hostname, self.subnet, self.server, self.port, timeout_s=self.timeout_s
        )
        if self.current is not None and self.current.ip != ip:
            self.changes += 1
        self.current = Answer(ip, ttl, self.wall(), self.clock() + ttl)
        return self.current
