"""Pin the public API the sandbox, drills and dashboard build on."""

from __future__ import annotations

import inspect

import polyregion.sandbox.route53 as r53


def test_public_names() -> None:
    assert sorted(r53.__all__) == sorted(
        [
            "FAST", "DnsAnswer", "DnsServer", "HealthCheckSpec", "HealthCheckers", "HealthFlip",
            "HealthStatus", "Located", "Locator", "Observation", "Origin", "PerLocationRecord",
            "ProbeResult", "ProbeTarget", "Reason", "RecordSet", "RecordSource", "Resolution",
            "Route53Emulation", "Route53Front", "Route53Mirror", "Route53Resolver",
            "TimingProfile", "ZoneSnapshot", "apply_plan", "aws_profile", "http_probe",
            "plan_route53", "profile_for",
        ]
    )  # fmt: skip


def test_emulation_signature_and_lifecycle() -> None:
    params = inspect.signature(r53.Route53Emulation).parameters
    assert list(params)[:1] == ["topology"]
    for name in ("moto_url", "origins", "profile", "dns_port", "api_port", "sources", "on_flip"):
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY
    for method in (
        "start",
        "stop",
        "region_health",
        "resolve_for",
        "region_for",
        "set_app_records",
    ):
        assert callable(getattr(r53.Route53Emulation, method))
