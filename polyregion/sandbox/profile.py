"""Timing profiles, as the sandbox uses them.

The profile values themselves belong to the Route 53 emulation
(`polyregion.sandbox.route53.profiles`); this module adds what the sandbox reports about them:
the failover bound of a killed region, interval x threshold + TTL (a refused connection fails
a probe at once, so the probe timeouts do not add up), and the JSON shown in `status`.
"""

from __future__ import annotations

from typing import Any

from polyregion.sandbox.route53.profiles import FAST, TimingProfile, aws_profile, profile_for

__all__ = ["FAST", "TimingProfile", "aws_profile", "kill_bound_s", "profile_for", "to_json"]


def kill_bound_s(profile: TimingProfile) -> float:
    """`fault kill` refuses connections at once, so no probe timeout is spent: the failover
    bound (topology.failover) minus the probe timeout. Tests use it as the tighter bound of a
    kill; everything shown to a user shows the failover bound."""
    return profile.interval_s * profile.failure_threshold + profile.origin_ttl_s


def to_json(profile: TimingProfile) -> dict[str, Any]:
    return {
        "name": profile.name,
        "aws_faithful": profile.aws_faithful,
        "label": profile.label,
        "interval_s": profile.interval_s,
        "failure_threshold": profile.failure_threshold,
        "ttl_s": profile.origin_ttl_s,
        "alias_ttl_s": profile.alias_ttl_s,
        "connect_timeout_s": profile.connect_timeout_s,
        "response_timeout_s": profile.response_timeout_s,
        "kill_bound_s": kill_bound_s(profile),
        "failover_bound_s": profile.failover_bound_s,
        "note": "AWS values"
        if profile.aws_faithful
        else "fast profile for tests and demos: NOT AWS values",
    }
