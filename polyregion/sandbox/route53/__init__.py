"""Route 53 for the local sandbox: control plane through moto, health checkers, DNS data plane.

Start with `Route53Emulation` (service.py); the parts are usable on their own:
`HealthCheckers` (checkers.py), `Route53Resolver` + `DnsServer` (resolver.py, dns.py),
`plan_route53`/`apply_plan` (control.py), `Route53Front` (front.py), `Route53Mirror`
(mirror.py), timing profiles (profiles.py). See docs/route53.md.
"""

from __future__ import annotations

from polyregion.sandbox.route53.checkers import (
    HealthCheckers,
    HealthCheckSpec,
    HealthFlip,
    HealthStatus,
    Observation,
)
from polyregion.sandbox.route53.control import Origin, apply_plan, plan_route53
from polyregion.sandbox.route53.dns import DnsServer
from polyregion.sandbox.route53.front import Route53Front
from polyregion.sandbox.route53.mirror import Route53Mirror
from polyregion.sandbox.route53.probe import ProbeResult, ProbeTarget, http_probe
from polyregion.sandbox.route53.profiles import FAST, TimingProfile, aws_profile, profile_for
from polyregion.sandbox.route53.resolver import (
    DnsAnswer,
    PerLocationRecord,
    RecordSource,
    Resolution,
    Route53Resolver,
)
from polyregion.sandbox.route53.routing import Located, Locator, Reason, RecordSet, ZoneSnapshot
from polyregion.sandbox.route53.service import Route53Emulation

__all__ = [
    "FAST",
    "DnsAnswer",
    "DnsServer",
    "HealthCheckSpec",
    "HealthCheckers",
    "HealthFlip",
    "HealthStatus",
    "Located",
    "Locator",
    "Observation",
    "Origin",
    "PerLocationRecord",
    "ProbeResult",
    "ProbeTarget",
    "Reason",
    "RecordSet",
    "RecordSource",
    "Resolution",
    "Route53Emulation",
    "Route53Front",
    "Route53Mirror",
    "Route53Resolver",
    "TimingProfile",
    "ZoneSnapshot",
    "apply_plan",
    "aws_profile",
    "http_probe",
    "plan_route53",
    "profile_for",
]
