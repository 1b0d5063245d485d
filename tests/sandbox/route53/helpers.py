"""Shared builders for the Route 53 emulation tests."""

from __future__ import annotations

from polyregion.sandbox.route53.routing import RecordSet, ZoneSnapshot
from polyregion.topology import Topology, from_dict

ORIGIN_IPS = {"us-east-1": "127.0.1.1", "eu-west-1": "127.0.2.1", "ap-southeast-1": "127.0.3.1"}


def three_region_topology() -> Topology:
    return from_dict(
        {
            "regions": [
                {"name": "us-east-1", "role": "primary"},
                {"name": "eu-west-1", "role": "secondary"},
                {"name": "ap-southeast-1", "role": "secondary"},
            ],
            "locations": [
                {"name": "new-york", "lat": 40.7, "lon": -74.0, "subnet": "198.51.100.0/24"},
                {"name": "paris", "lat": 48.9, "lon": 2.35, "subnet": "203.0.113.0/24"},
                {"name": "singapore", "lat": 1.3, "lon": 103.8, "subnet": "192.0.2.0/24"},
            ],
        }
    )


def zone(topology: Topology, ttl: int = 60) -> ZoneSnapshot:
    """origin.<domain> latency records with one health check each (id hc-<region>)."""
    d = topology.domain
    records = [
        RecordSet(
            d, "SOA", 900, (f"ns-1.awsdns-00.com. hostmaster.{d}. 1 7200 900 1209600 86400",)
        ),
        RecordSet(d, "NS", 172800, ("ns-1.awsdns-00.com.",)),
        RecordSet(f"www.{d}", "CNAME", 300, (f"app.{d}.",)),
    ]
    for r in topology.region_names:
        records.append(
            RecordSet(
                f"origin.{d}",
                "A",
                ttl,
                (ORIGIN_IPS[r],),
                set_identifier=r,
                region=r,
                health_check_id=f"hc-{r}",
            )
        )
    return ZoneSnapshot(d, "Z1", tuple(records))
