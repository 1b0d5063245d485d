"""The latency model the sandbox simulates with: round-trip time from distance.

Light in fibre covers ~200 km per ms one way, so ~100 km per ms of round trip; real paths are
longer than great circles (x1.5) and every hop adds a little (5 ms floor). Close enough to order
regions the way Route 53's latency tables do for the usual cases; `[latency]` in the topology
file overrides any pair with a measured figure.
"""

from __future__ import annotations

import math

from polyregion.topology.model import Coordinates, Topology

EARTH_RADIUS_KM = 6371.0
KM_PER_RTT_MS = 100.0
PATH_STRETCH = 1.5
FLOOR_MS = 5.0


def great_circle_km(a: Coordinates, b: Coordinates) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def rtt_ms(a: Coordinates, b: Coordinates) -> float:
    return FLOOR_MS + great_circle_km(a, b) * PATH_STRETCH / KM_PER_RTT_MS


def latency_ms(topology: Topology, source: str, region: str) -> float:
    """RTT from a location or region named `source` to `region`, overrides first."""
    for src, dst, ms in topology.latency_overrides:
        if src == source and dst == region:
            return ms
    names = {loc.name: loc.coordinates for loc in topology.locations}
    names.update({r.name: r.coordinates for r in topology.regions})
    return rtt_ms(names[source], topology.region(region).coordinates)


def regions_by_latency(topology: Topology, source: str) -> list[str]:
    """Regions from nearest to farthest for `source`; ties broken by name for determinism."""
    return sorted(topology.region_names, key=lambda r: (latency_ms(topology, source, r), r))
