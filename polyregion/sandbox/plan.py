"""Where every sandbox component listens, derived from the topology (one place, no guessing).

Each region gets its own loopback address and every origin listens on the SAME port, because
DNS answers carry only an address (as on AWS: the port is the distribution's origin setting):

    region i       127.0.<i+1>.1 : base_port      the app (origin)
                   127.0.<i+1>.1 : base_port + 1  the region's AWS API endpoint (moto)
    location j     127.1.<j+1>.1 : base_port      the edge (CloudFront-like proxy): entry URL
    shared         127.0.0.1 : base_port + 2      the Route 53 API (moto + front)
                   127.0.0.1 : base_port + 3      reserved: the replicator's control endpoint
                   127.0.0.1 : base_port + 4      reserved: the dashboard
                   127.0.0.1 : base_port + 5      moto holding Route 53 (behind the API front)
                   127.0.0.1 : dns_port           the DNS server (UDP and TCP)
                   127.0.0.1 : control_port       the control API

`sandbox.loopback_prefix` moves the region and edge blocks (127.<n> and 127.<n+1>), so a test
sandbox never collides with one a person is running.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Final

from polyregion.errors import ConfigError
from polyregion.topology import naming
from polyregion.topology.latency import regions_by_latency
from polyregion.topology.model import Role, Topology

SHARED_HOST: Final = "127.0.0.1"
ORIGIN_OFFSET: Final = 0
AWS_OFFSET: Final = 1
ROUTE53_OFFSET: Final = 2
REPLICATOR_OFFSET: Final = 3
DASHBOARD_OFFSET: Final = 4
ROUTE53_MOTO_OFFSET: Final = 5


@dataclass(frozen=True, slots=True)
class Binding:
    """A (host, port) something will listen on, and the topology key that moves it."""

    host: str
    port: int
    what: str
    key: str
    udp: bool = False


@dataclass(frozen=True, slots=True)
class RegionPlan:
    name: str
    role: Role
    ip: str
    origin_port: int
    aws_port: int
    bucket: str

    @property
    def origin_url(self) -> str:
        return f"http://{self.ip}:{self.origin_port}"

    @property
    def aws_endpoint(self) -> str:
        return f"http://{self.ip}:{self.aws_port}"


@dataclass(frozen=True, slots=True)
class LocationPlan:
    name: str
    subnet: ipaddress.IPv4Network
    ip: str
    port: int
    nearest: tuple[str, ...]  # regions from nearest to farthest (the latency model)

    @property
    def entry_url(self) -> str:
        return f"http://{self.ip}:{self.port}/"


@dataclass(frozen=True, slots=True)
class SandboxPlan:
    regions: tuple[RegionPlan, ...]
    locations: tuple[LocationPlan, ...]
    dns_host: str
    dns_port: int
    control_host: str
    control_port: int
    route53_port: int
    replicator_port: int
    dashboard_port: int
    route53_moto_port: int
    route53_host: str = SHARED_HOST

    @property
    def control_url(self) -> str:
        return f"http://{self.control_host}:{self.control_port}"

    @property
    def route53_endpoint(self) -> str:
        return f"http://{SHARED_HOST}:{self.route53_port}"

    @property
    def route53_moto_endpoint(self) -> str:
        return f"http://{SHARED_HOST}:{self.route53_moto_port}"

    @property
    def aws_endpoints(self) -> dict[str, str]:
        """The POLYREGION_AWS_ENDPOINTS map the app and the replicator read."""
        return {r.name: r.aws_endpoint for r in self.regions}

    def region(self, name: str) -> RegionPlan:
        for r in self.regions:
            if r.name == name:
                return r
        raise ConfigError(
            "region", name, f"must be one of {', '.join(r.name for r in self.regions)}"
        )

    @property
    def region_by_ip(self) -> dict[str, str]:
        return {r.ip: r.name for r in self.regions}

    def bindings(self) -> list[Binding]:
        """Every address the sandbox listens on, for a clear error before anything starts."""
        base = "sandbox.base_port"
        out = [
            Binding(self.control_host, self.control_port, "control API", "sandbox.control_port"),
            Binding(self.dns_host, self.dns_port, "DNS server (UDP)", "sandbox.dns_port", True),
            Binding(self.dns_host, self.dns_port, "DNS server (TCP)", "sandbox.dns_port"),
            Binding(SHARED_HOST, self.route53_port, "Route 53 API", base),
            Binding(SHARED_HOST, self.replicator_port, "replicator control", base),
            Binding(SHARED_HOST, self.dashboard_port, "dashboard", base),
            Binding(SHARED_HOST, self.route53_moto_port, "Route 53 moto", base),
        ]
        for r in self.regions:
            out.append(Binding(r.ip, r.origin_port, f"{r.name} origin", base))
            out.append(Binding(r.ip, r.aws_port, f"{r.name} AWS endpoint", base))
        for loc in self.locations:
            out.append(Binding(loc.ip, loc.port, f"{loc.name} edge", base))
        return out


def plan(topology: Topology) -> SandboxPlan:
    sb = topology.sandbox
    second = int(sb.loopback_prefix.split(".")[1])
    if second > 253:
        raise ConfigError(
            "sandbox.loopback_prefix", sb.loopback_prefix, "127.0 .. 127.253 (edges use 127.<n+1>)"
        )
    edge_prefix = f"127.{second + 1}"
    base = sb.base_port
    regions = tuple(
        RegionPlan(
            name=r.name,
            role=r.role,
            ip=f"{sb.loopback_prefix}.{i + 1}.1",
            origin_port=base + ORIGIN_OFFSET,
            aws_port=base + AWS_OFFSET,
            bucket=naming.bucket(topology, r.name),
        )
        for i, r in enumerate(topology.regions)
    )
    locations = tuple(
        LocationPlan(
            name=loc.name,
            subnet=loc.subnet,
            ip=f"{edge_prefix}.{j + 1}.1",
            port=base + ORIGIN_OFFSET,
            nearest=tuple(regions_by_latency(topology, loc.name)),
        )
        for j, loc in enumerate(topology.locations)
    )
    return SandboxPlan(
        regions=regions,
        locations=locations,
        dns_host=SHARED_HOST,
        dns_port=sb.dns_port,
        control_host=SHARED_HOST,
        control_port=sb.control_port,
        route53_port=base + ROUTE53_OFFSET,
        replicator_port=base + REPLICATOR_OFFSET,
        dashboard_port=base + DASHBOARD_OFFSET,
        route53_moto_port=base + ROUTE53_MOTO_OFFSET,
    )
