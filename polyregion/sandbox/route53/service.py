"""`Route53Emulation`: the whole emulated Route 53 in one object with start()/stop().

    control plane  boto3 -> moto (zone, health checks, latency records)     control.py
    API front      WSGI proxy in front of moto: route53_endpoint             front.py
    mirror         moto -> data plane, after each change and every 0.5 s     mirror.py
    checkers       per checker region x check, probing origins over HTTP     checkers.py
    DNS            UDP+TCP server answering with Route 53 routing            dns.py, resolver.py

The sandbox supervisor builds one per `polyregion up` and runs it in-process (threads). There
is no global state: two emulations (tests) can run side by side on different ports.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from polyregion.sandbox.route53.checkers import FlipHook, HealthCheckers, HealthStatus
from polyregion.sandbox.route53.control import (
    Origin,
    Provisioned,
    Route53Plan,
    apply_plan,
    plan_route53,
    route53_client,
)
from polyregion.sandbox.route53.dns import DnsServer
from polyregion.sandbox.route53.front import Route53Front
from polyregion.sandbox.route53.mirror import Route53Mirror
from polyregion.sandbox.route53.probe import Probe, http_probe
from polyregion.sandbox.route53.profiles import TimingProfile
from polyregion.sandbox.route53.resolver import (
    PerLocationRecord,
    RecordSource,
    Resolution,
    Route53Resolver,
)
from polyregion.sandbox.route53.routing import Locator
from polyregion.topology.model import Topology


class Route53Emulation:
    """Route 53 for one topology: provisions through moto, then checks health and serves DNS.

    Args:
        topology: the topology (domain, regions, health settings, locations).
        moto_url: a moto server on loopback holding Route 53 (any region's server will do).
        origins: region -> Origin(ip, port) the health checks and records point at.
        profile: timing (profiles.aws_profile(topology) or profiles.FAST).
        dns_host/dns_port: where the DNS server listens (port 0: a free one).
        api_host/api_port: where the Route 53 API front listens (port 0: a free one).
        sources: source IP -> location, for queries without EDNS client subnet (edges).
        default_location: location of queries neither ECS nor `sources` identify.
        record_sources: extra names answered per location (e.g. app.<domain> -> edge IP).
        on_flip: called on every health flip (from a checker thread).
        probe, clock: injectable for tests.
    """

    def __init__(
        self,
        topology: Topology,
        *,
        moto_url: str,
        origins: Mapping[str, Origin],
        profile: TimingProfile,
        dns_host: str = "127.0.0.1",
        dns_port: int = 0,
        api_host: str = "127.0.0.1",
        api_port: int = 0,
        sources: Mapping[str, str] | None = None,
        default_location: str | None = None,
        record_sources: Sequence[RecordSource] = (),
        on_flip: FlipHook | None = None,
        probe: Probe = http_probe,
        clock: Callable[[], float] = time.time,
        poll_interval_s: float = 0.5,
    ) -> None:
        self.topology = topology
        self.profile = profile
        self.plan: Route53Plan = plan_route53(topology, origins, profile)
        self.moto_client = route53_client(moto_url)
        self.checkers = HealthCheckers(
            connect_timeout_s=profile.connect_timeout_s,
            response_timeout_s=profile.response_timeout_s,
            tcp_connect_timeout_s=profile.tcp_connect_timeout_s,
            probe=probe,
            clock=clock,
            on_flip=on_flip,
            thread_prefix=f"r53-{topology.name}",
        )
        self.mirror = Route53Mirror(
            self.moto_client,
            topology.domain,
            self.checkers,
            profile,
            poll_interval_s=poll_interval_s,
        )
        self.resolver = Route53Resolver(
            self.mirror.snapshot,
            Locator(topology, sources=sources, default=default_location),
            is_healthy=self.checkers.is_healthy,
            sources=record_sources,
        )
        self.dns = DnsServer(self.resolver, host=dns_host, port=dns_port)
        self.front = Route53Front(
            moto_url, self.moto_client, self.checkers, self.mirror, host=api_host, port=api_port
        )
        self.provisioned: Provisioned | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Provision (idempotent), read it back, then start checkers, mirror, DNS and API."""
        try:
            self.provisioned = apply_plan(self.moto_client, self.plan)
            self.mirror.sync()
            self.checkers.start()
            self.mirror.start()
            self.dns.start()
            self.front.start()
        except BaseException:
            self.stop()
            raise

    def reprovision(self) -> None:
        """The moto holding Route 53 restarted empty (the supervision restarted it): create the
        zone, health checks and records again and read them back. New health check ids; an
        Inverted/Disabled set through the API before is lost."""
        self.provisioned = apply_plan(self.moto_client, self.plan)
        self.mirror.forget_zone()
        self.mirror.sync()

    def stop(self) -> None:
        """Stop everything started; safe to call twice or after a failed start."""
        self.front.stop()
        self.dns.stop()
        self.mirror.stop()
        self.checkers.stop()

    def __enter__(self) -> Route53Emulation:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what the sandbox publishes -------------------------------------------------------
    @property
    def route53_endpoint(self) -> str:
        return self.front.url

    @property
    def dns_address(self) -> tuple[str, int]:
        return self.dns.address

    @property
    def health_check_ids(self) -> Mapping[str, str]:
        """region -> health check id."""
        return dict(self.provisioned.health_check_ids) if self.provisioned else {}

    def region_health(self) -> dict[str, HealthStatus]:
        """region -> its health check's status (routing verdict, per-checker observations)."""
        known = set(self.checkers.ids())
        return {
            region: self.checkers.status(hc)
            for region, hc in self.health_check_ids.items()
            if hc in known
        }

    def resolve_for(self, location: str, name: str | None = None) -> Resolution | None:
        """What `location` gets for `name` (default origin.<domain>) right now, no packets."""
        return self.resolver.resolve_for(name or self.topology.origin_hostname, location)

    def region_for(self, location: str) -> str | None:
        """The region origin.<domain> currently resolves to for `location`."""
        res = self.resolve_for(location)
        return res.record.region if res and res.record else None

    def set_app_records(self, edge_ips: Mapping[str, str], ttl: int | None = None) -> None:
        """Answer app.<domain> with each location's edge IP (CloudFront's edge choice)."""
        self.resolver.set_source(
            PerLocationRecord(
                self.topology.app_hostname,
                dict(edge_ips),
                self.profile.alias_ttl_s if ttl is None else ttl,
            )
        )
