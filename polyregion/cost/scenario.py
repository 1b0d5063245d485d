"""What the cost model prices: a set of regions plus the topology settings that cost money.

The *single* scenario is the article's left column: the same app in the primary region only,
with no health checks, no replicas, no replication. The *multi* scenario is the topology as
written (or grown/shrunk with `--regions N`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from polyregion.errors import ConfigError
from polyregion.topology.model import (
    BucketSpec,
    DnsSettings,
    HealthSettings,
    SessionSettings,
    Topology,
    Traffic,
)

# Regions `--regions N` adds, in order, after the topology's own (common choices for a
# third, fourth... region of a US/EU frontend).
CANDIDATE_REGIONS: Final = (
    "us-east-1",
    "eu-west-1",
    "ap-southeast-1",
    "us-west-2",
    "eu-central-1",
    "ap-northeast-1",
    "sa-east-1",
    "ap-southeast-2",
    "us-east-2",
    "eu-west-2",
    "ap-south-1",
    "ca-central-1",
)
LAMBDA_MEMORY_MB: Final = (128, 10_240)


@dataclass(frozen=True, slots=True)
class Scenario:
    """Regions (primary first) and every setting a line item reads."""

    regions: tuple[str, ...]
    traffic: Traffic
    health: HealthSettings
    buckets: BucketSpec  # the bucket whose settings price replication (the first global one)
    session: SessionSettings
    dns: DnsSettings
    replicated_data: bool  # the topology has a `global` table: it replicates

    @property
    def count(self) -> int:
        return len(self.regions)

    @property
    def multi_region(self) -> bool:
        """Health checks, latency records, replicas and replication exist only with 2+ regions."""
        return self.count > 1

    @property
    def primary(self) -> str:
        return self.regions[0]


def from_topology(topology: Topology, traffic: Traffic | None = None) -> Scenario:
    primary = topology.primary.name
    rest = tuple(r.name for r in topology.regions if r.name != primary)
    return Scenario(
        regions=(primary, *rest),
        traffic=check_traffic(traffic or topology.traffic),
        health=topology.health,
        buckets=next(
            iter(topology.global_buckets), BucketSpec(name="none", replication_time_control=False)
        ),
        session=topology.session,
        dns=topology.dns,
        replicated_data=bool(topology.global_tables),
    )


def single(scenario: Scenario) -> Scenario:
    return dataclasses.replace(scenario, regions=(scenario.primary,))


def with_regions(scenario: Scenario, count: int) -> Scenario:
    """Keep the first `count` regions, or add candidates until there are `count`."""
    available = scenario.regions + tuple(r for r in CANDIDATE_REGIONS if r not in scenario.regions)
    if not 1 <= count <= len(available):
        raise ConfigError("--regions", count, f"a number from 1 to {len(available)}")
    return dataclasses.replace(scenario, regions=available[:count])


def next_region(scenario: Scenario) -> str | None:
    """The region `marginal_region_usd` adds: the first candidate not in use."""
    return next((r for r in CANDIDATE_REGIONS if r not in scenario.regions), None)


def with_traffic(traffic: Traffic, overrides: Mapping[str, Any]) -> Traffic:
    """Apply flag values (None = not given) over the topology's `[traffic]` table."""
    given = {k: v for k, v in overrides.items() if v is not None}
    return check_traffic(dataclasses.replace(traffic, **given))


def check_traffic(traffic: Traffic) -> Traffic:
    """Rules the topology loader does not know: they only matter for pricing."""
    for f in dataclasses.fields(traffic):
        value = getattr(traffic, f.name)
        if value < 0:
            raise ConfigError(f"traffic.{f.name}", value, "must not be negative")
    if not 0 <= traffic.cache_hit_ratio <= 1:
        raise ConfigError("traffic.cache_hit_ratio", traffic.cache_hit_ratio, "a ratio from 0 to 1")
    lo, hi = LAMBDA_MEMORY_MB
    if not lo <= traffic.ssr_memory_mb <= hi:
        raise ConfigError(
            "traffic.ssr_memory_mb", traffic.ssr_memory_mb, f"Lambda memory is {lo}..{hi} MB"
        )
    return traffic
