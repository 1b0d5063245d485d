"""The drill scenarios: what breaks, what must happen, what counts as surviving.

A scenario is target-independent: it names a fault and the expectations that go with it. Each
`Target` turns the `Fault` into concrete actions (sandbox control API calls, Route 53 API
calls), so the drill logic is written once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from polyregion.errors import ConfigError
from polyregion.topology.failover import (
    AWS_CONNECT_TIMEOUT_S,
    AWS_RESPONSE_TIMEOUT_S,
    FailoverBound,
)
from polyregion.topology.model import Topology


class FaultKind(StrEnum):
    KILL = "kill"  # the region's origin dies
    INVERT = "invert"  # Route 53 health check inverted: graceful evacuation
    DEPENDENCY = "dependency"  # DynamoDB / S3 / Secrets Manager of the region stops answering
    PARTITION = "partition"  # replication between two regions stops


DEPENDENCIES = ("dynamodb", "s3", "secrets")


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    fault: FaultKind
    summary: str
    evacuates: bool  # traffic must leave the victim region (Route 53 must move it)
    victim_replica_survives: bool  # does the victim's replica count when looking for lost writes?


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "region-outage",
            FaultKind.KILL,
            "the region's origin dies; Route 53 health checks fail and DNS moves users away",
            evacuates=True,
            victim_replica_survives=False,
        ),
        Scenario(
            "health-inversion",
            FaultKind.INVERT,
            "graceful evacuation: the region's health check is inverted through the Route 53 API",
            evacuates=True,
            victim_replica_survives=True,
        ),
        Scenario(
            "dependency-failure",
            FaultKind.DEPENDENCY,
            "a dependency of the region stops answering; its deep health check fails",
            evacuates=True,
            victim_replica_survives=True,
        ),
        Scenario(
            "partition",
            FaultKind.PARTITION,
            "replication between two regions stops, then heals; both keep serving",
            evacuates=False,
            victim_replica_survives=True,
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Fault:
    """A scenario bound to concrete regions: the input of `Target.plan_fault`."""

    kind: FaultKind
    region: str
    peer: str | None = None  # partition: the other side
    dependency: str | None = None  # dependency-failure: which one


def scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ConfigError("scenario", name, f"must be one of {', '.join(SCENARIOS)}") from None


def bind(
    sc: Scenario,
    topology: Topology,
    *,
    region: str | None = None,
    peer: str | None = None,
    dependency: str = "dynamodb",
) -> Fault:
    """Pick concrete regions: the victim defaults to the primary, the peer to the next region."""
    victim = topology.region(region).name if region else topology.primary.name
    if sc.fault is FaultKind.PARTITION:
        others = [r for r in topology.region_names if r != victim]
        other = topology.region(peer).name if peer else others[0]
        if other == victim:
            raise ConfigError("--peer", peer, "must differ from --region")
        return Fault(sc.fault, victim, peer=other)
    if sc.fault is FaultKind.DEPENDENCY:
        if dependency not in DEPENDENCIES:
            raise ConfigError(
                "--dependency", dependency, f"must be one of {', '.join(DEPENDENCIES)}"
            )
        return Fault(sc.fault, victim, dependency=dependency)
    return Fault(sc.fault, victim)


@dataclass(frozen=True, slots=True)
class Timing:
    """The failover clock of a target: health-check interval, failure threshold, DNS TTL and
    the probe timeout (connect + response budget of one health probe)."""

    interval_s: float
    failure_threshold: int
    ttl_s: float
    probe_timeout_s: float = AWS_CONNECT_TIMEOUT_S + AWS_RESPONSE_TIMEOUT_S

    @property
    def bound(self) -> FailoverBound:
        return FailoverBound(
            self.interval_s, self.failure_threshold, self.probe_timeout_s, self.ttl_s
        )

    @property
    def bound_s(self) -> float:
        """interval x threshold + probe timeout + TTL: the one formula (topology.failover)."""
        return self.bound.total_s

    @classmethod
    def of(cls, topology: Topology) -> Timing:
        h = topology.health
        return cls(float(h.interval_s), h.failure_threshold, float(topology.dns.origin_ttl_s))
