"""Timing profiles: how fast the emulated Route 53 checks health and how long answers live.

`aws_profile(topology)` uses the values AWS would use for this topology (RequestInterval 10 or
30 s, FailureThreshold, a 4 s connect and 2 s response budget per probe, the records' TTL).
`FAST` shrinks everything so tests and demos fail over in seconds: those numbers are NOT AWS
values (AWS accepts no interval below 10 s) and are labelled as such wherever they are shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from polyregion.topology.failover import (
    AWS_CONNECT_TIMEOUT_S,
    AWS_RESPONSE_TIMEOUT_S,
    FailoverBound,
)
from polyregion.topology.model import Topology

# Route 53's HTTP check: TCP connect within 4 s, then a 2xx/3xx status within 2 s
# (topology.failover, where the failover bound is computed); a TCP check only has to
# connect, within 10 s.
AWS_TCP_CONNECT_TIMEOUT_S: Final = 10.0


@dataclass(frozen=True, slots=True)
class TimingProfile:
    """Every timing knob of the Route 53 emulation in one value object."""

    name: str
    aws_faithful: bool  # False: numbers chosen for speed, not what AWS does
    interval_s: float  # RequestInterval: seconds between two probes of one checker
    failure_threshold: int  # consecutive results needed to change a checker's opinion
    origin_ttl_s: int  # TTL of the latency records origin.<domain>
    alias_ttl_s: int  # TTL of app.<domain> (alias to CloudFront: 60 s on AWS)
    connect_timeout_s: float = AWS_CONNECT_TIMEOUT_S
    response_timeout_s: float = AWS_RESPONSE_TIMEOUT_S
    tcp_connect_timeout_s: float = AWS_TCP_CONNECT_TIMEOUT_S

    @property
    def bound(self) -> FailoverBound:
        """interval x threshold + probe timeout + TTL (topology.failover: the one formula)."""
        return FailoverBound(
            self.interval_s,
            self.failure_threshold,
            self.connect_timeout_s + self.response_timeout_s,
            float(self.origin_ttl_s),
        )

    @property
    def detection_bound_s(self) -> float:
        """Worst case from failure to the checkers agreeing: interval x threshold + timeouts."""
        return self.bound.detection_s

    @property
    def failover_bound_s(self) -> float:
        """Detection, then every cached answer expires: what a client may wait at most."""
        return self.bound.total_s

    @property
    def label(self) -> str:
        return self.name if self.aws_faithful else f"{self.name} (not AWS values)"


def aws_profile(topology: Topology) -> TimingProfile:
    """The AWS-faithful profile: the topology's health and DNS settings, unchanged."""
    return TimingProfile(
        name="aws",
        aws_faithful=True,
        interval_s=float(topology.health.interval_s),
        failure_threshold=topology.health.failure_threshold,
        origin_ttl_s=topology.dns.origin_ttl_s,
        alias_ttl_s=topology.dns.alias_ttl_s,
    )


# Fast enough that a failover test takes seconds. The response budget stays above the app's
# per-dependency timeout (health.check_timeout_ms, 1 s by default) so a slow dependency is
# reported by the app itself (503) rather than by a probe timeout, as on AWS.
FAST: Final = TimingProfile(
    name="fast",
    aws_faithful=False,
    interval_s=1.0,
    failure_threshold=2,
    origin_ttl_s=1,
    alias_ttl_s=1,
    connect_timeout_s=1.0,
    response_timeout_s=1.5,
    tcp_connect_timeout_s=2.5,
)


def profile_for(topology: Topology, *, fast: bool = False) -> TimingProfile:
    return FAST if fast else aws_profile(topology)
