"""Route 53 routing policies, as pure functions over record sets (no sockets, no clocks).

What is reproduced [health-checks-how-route-53-chooses-records.html]:
- latency records: the record whose Region has the lowest latency for the querier wins; if its
  health check is unhealthy, the next best healthy one, and so on;
- if no record of the set is healthy, all are treated as healthy (fail-open): the nearest wins;
- a record without a health check is always healthy;
- failover records: primary if healthy, else secondary if healthy, else primary;
- a simple record set answers as it is.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from polyregion.topology import latency as latency_model
from polyregion.topology.model import Coordinates, Topology
from polyregion.topology.regions import REGION_COORDINATES


def normalize(name: str) -> str:
    """DNS names compare case-insensitively and without the trailing dot."""
    return name.rstrip(".").lower()


@dataclass(frozen=True, slots=True)
class RecordSet:
    """One resource record set as Route 53 stores it (only what routing needs)."""

    name: str
    type: str
    ttl: int
    values: tuple[str, ...]
    set_identifier: str | None = None
    region: str | None = None  # latency routing
    failover: str | None = None  # "PRIMARY" | "SECONDARY"
    health_check_id: str | None = None


@dataclass(frozen=True, slots=True)
class ZoneSnapshot:
    """A hosted zone at one moment: what the DNS server answers from."""

    name: str
    zone_id: str
    record_sets: tuple[RecordSet, ...] = ()

    def contains(self, qname: str) -> bool:
        q = normalize(qname)
        return q == self.name or q.endswith("." + self.name)

    def lookup(self, qname: str, qtype: str) -> tuple[RecordSet, ...]:
        q = normalize(qname)
        return tuple(r for r in self.record_sets if r.name == q and r.type == qtype)

    def has_name(self, qname: str) -> bool:
        q = normalize(qname)
        return q == self.name or any(r.name == q for r in self.record_sets)


class Reason(StrEnum):
    SIMPLE = "simple"
    NEAREST = "nearest"  # lowest latency and healthy
    NEXT_BEST = "next-best"  # a nearer record was unhealthy
    FAIL_OPEN = "fail-open"  # nothing healthy: Route 53 treats all as healthy
    PRIMARY = "failover-primary"
    SECONDARY = "failover-secondary"


@dataclass(frozen=True, slots=True)
class Selection:
    record: RecordSet
    reason: Reason


def choose(
    candidates: tuple[RecordSet, ...],
    *,
    latency_to: Callable[[str], float],
    is_healthy: Callable[[str], bool],
) -> Selection | None:
    """Pick the record set Route 53 would answer with; None when there are no candidates."""
    if not candidates:
        return None

    def healthy(r: RecordSet) -> bool:
        return r.health_check_id is None or is_healthy(r.health_check_id)

    latency_records = [r for r in candidates if r.region is not None]
    if latency_records:
        ranked = sorted(latency_records, key=lambda r: (latency_to(r.region or ""), r.region or ""))
        for i, record in enumerate(ranked):
            if healthy(record):
                return Selection(record, Reason.NEAREST if i == 0 else Reason.NEXT_BEST)
        return Selection(ranked[0], Reason.FAIL_OPEN)
    failover = {(r.failover or "").upper(): r for r in candidates if r.failover}
    if failover:
        primary, secondary = failover.get("PRIMARY"), failover.get("SECONDARY")
        if primary is not None and healthy(primary):
            return Selection(primary, Reason.PRIMARY)
        if secondary is not None and healthy(secondary):
            return Selection(secondary, Reason.SECONDARY)
        if primary is not None:
            return Selection(primary, Reason.FAIL_OPEN)
        assert secondary is not None
        return Selection(secondary, Reason.FAIL_OPEN)
    return Selection(candidates[0], Reason.SIMPLE)


@dataclass(frozen=True, slots=True)
class Located:
    """Who is asking: a topology location (or None) and the ECS scope the answer is valid for."""

    location: str | None
    scope_prefix: int
    via: str  # "ecs" | "source" | "default"


class Locator:
    """Maps a query to a simulated location of the topology.

    Route 53 uses the EDNS client subnet when the resolver sends one, else the resolver's own
    address. Here: ECS address inside a location's subnet -> that location; otherwise the
    source address through `sources` (e.g. each edge's loopback IP -> its location); otherwise
    `default` (the first location of the topology unless told otherwise).
    """

    def __init__(
        self,
        topology: Topology,
        *,
        sources: Mapping[str, str] | None = None,
        default: str | None = None,
    ) -> None:
        self.topology = topology
        self.sources = dict(sources or {})
        known = {loc.name for loc in topology.locations}
        for ip, name in self.sources.items():
            ipaddress.ip_address(ip)  # ValueError on a bad address: a programming error
            if name not in known:
                raise ValueError(f"source {ip} maps to unknown location {name!r}")
        if default is None and topology.locations:
            default = topology.locations[0].name
        self.default = default
        self._coords: dict[str, Coordinates] = {
            loc.name: loc.coordinates for loc in topology.locations
        }

    def locate(self, ecs: ipaddress.IPv4Network | None, source_ip: str | None) -> Located:
        if ecs is not None:
            for loc in self.topology.locations:
                if ecs.network_address in loc.subnet:
                    # The answer holds for the whole simulated subnet, not just the /24 asked.
                    return Located(loc.name, min(loc.subnet.prefixlen, ecs.prefixlen), "ecs")
        if source_ip is not None and source_ip in self.sources:
            return Located(self.sources[source_ip], 0, "source")
        return Located(self.default, 0, "default")

    def latency_ms(self, location: str | None, region: str) -> float:
        """Modelled RTT from a location to a region; regions outside the topology use the
        built-in region coordinates; unknown regions rank last."""
        if location is None:
            return 0.0  # no location at all: every region ties, names break the tie
        if region in self.topology.region_names:
            return latency_model.latency_ms(self.topology, location, region)
        if region in REGION_COORDINATES:
            lat, lon = REGION_COORDINATES[region]
            return latency_model.rtt_ms(self._coords[location], Coordinates(lat, lon))
        return math.inf
