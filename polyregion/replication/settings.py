"""What the replicator needs to run: endpoints, state dir, injected lag and polling cadence."""

from __future__ import annotations

import ipaddress
import random
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from polyregion.errors import ConfigError
from polyregion.topology.latency import latency_ms
from polyregion.topology.model import Topology


@dataclass(frozen=True)
class LagModel:
    """Injected delay per ordered region pair, plus uniform jitter in [0, jitter_ms].

    By default a replicated write takes the simulated round trip between the two regions (the
    topology's latency model: tens of ms between continents); `sandbox.replication_delay_ms`
    (or --delay-ms) sets one figure for every pair; 0 and 0 make replication as fast as the
    machine allows, for tests.
    """

    delays_ms: Mapping[tuple[str, str], float]
    jitter_ms: float = 0.0

    @classmethod
    def from_topology(
        cls, topology: Topology, *, delay_ms: float | None = None, jitter_ms: float | None = None
    ) -> LagModel:
        fixed = delay_ms if delay_ms is not None else topology.sandbox.replication_delay_ms
        names = topology.region_names
        delays = {
            (a, b): fixed if fixed is not None else latency_ms(topology, a, b)
            for a in names
            for b in names
            if a != b
        }
        jitter = jitter_ms if jitter_ms is not None else topology.sandbox.replication_jitter_ms
        if any(d < 0 for d in delays.values()) or jitter < 0:
            raise ConfigError("replication delay", fixed, "milliseconds >= 0")
        return cls(delays, jitter)

    def delay_ms(self, source: str, destination: str, rng: random.Random) -> float:
        base = self.delays_ms[(source, destination)]
        return base + (rng.uniform(0, self.jitter_ms) if self.jitter_ms else 0.0)


@dataclass(frozen=True)
class ReplicatorSettings:
    topology: Topology
    endpoints: Mapping[str, str]
    state_dir: Path
    lag: LagModel
    control_host: str = "127.0.0.1"
    control_port: int = 0  # 0: pick a free port and write it to <state_dir>/replicator.json
    poll_ms: float = 5.0  # stream polling while records flow (a quiet stream rings a doorbell)
    s3_poll_ms: float = 200.0
    secret_poll_ms: float = 500.0
    checkpoint_ms: float = 50.0
    lanes: int = 1  # parallel appliers per region pair (one item always uses the same lane)
    seed: int | None = None
    regions: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        names = self.topology.region_names
        object.__setattr__(self, "regions", names)
        missing = [r for r in names if r not in self.endpoints]
        if missing:
            raise ConfigError(
                "endpoints",
                dict(self.endpoints),
                f"an endpoint for every region (missing {missing})",
            )
        for region, url in self.endpoints.items():
            host = urllib.parse.urlsplit(url).hostname or ""
            if not _loopback(host) and host != "localhost":
                # The sandbox replicator stands in for AWS's own replication: on real AWS the
                # services replicate themselves, so it must never write to real endpoints.
                raise ConfigError(f"endpoints.{region}", url, "a loopback URL (127.x.x.x)")
        if not 1 <= self.lanes <= 64:
            raise ConfigError("lanes", self.lanes, "1..64 parallel appliers per region pair")
        if not _loopback(self.control_host):
            raise ConfigError("control host", self.control_host, "a loopback address")


def _loopback(host: str) -> bool:
    """A loopback IP address; a name such as `127.attacker.example` is not one."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
