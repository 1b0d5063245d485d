"""Ask a DNS server what a location is told: a query carrying its EDNS client subnet."""

from __future__ import annotations

import ipaddress


def resolve(
    hostname: str,
    *,
    server: str,
    port: int,
    subnet: str | None = None,
    timeout_s: float = 0.5,
) -> list[str]:
    """A records for `hostname` as answered to `subnet` (sent as EDNS client subnet, RFC 7871).

    The subnet is data inside the packet (documentation ranges), never a destination; the
    packet goes to `server`, which is loopback in the sandbox.
    """
    import dns.edns
    import dns.message
    import dns.query
    import dns.rdatatype

    options: list[dns.edns.Option] = []
    if subnet:
        net = ipaddress.ip_network(subnet, strict=False)
        options.append(dns.edns.ECSOption(str(net.network_address), net.prefixlen))
    query = dns.message.make_query(hostname, dns.rdatatype.A, use_edns=0, options=options)
    answer = dns.query.udp(query, server, port=port, timeout=timeout_s)
    return [
        rdata.address
        for rrset in answer.answer
        if rrset.rdtype == dns.rdatatype.A
        for rdata in rrset
    ]
