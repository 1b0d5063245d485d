"""Brute-force protection of sign-in and sign-up: sliding windows per username and per address.

Rules (thresholds in AppSettings, docs/app.md "Security"):
- sign-in, per username *and* client address: `signin_user_limit` failures in
  `signin_window_s`. Keyed by both, so failures from other addresses can never lock the owner
  out (ten wrong passwords from ten addresses used to block the right one, for everyone);
- sign-in, per client address: `signin_address_limit` failures in the same window (any user:
  password spraying, and the bound on one address guessing one account);
- sign-up, per client address: `signup_address_limit` attempts in `signup_window_s`.

Each sign-in limit is a budget for the whole application, not per region: counters are regional
(the audit table never leaves its region), so every region enforces an equal share,
`max(1, limit // number of regions)`. An attacker who spreads attempts over every region
gets the budget once (at most `max(limit, regions)`), however many regions there are; the
price is that a user who fails in one region has that region's share only.

A blocked request is answered 429 with `Retry-After` before any password is hashed, so a
throttled attacker learns nothing, not even whether the password was right. The windows slide:
a key is free again as soon as its oldest counted attempt is older than the window, so there is
no permanent lockout, and a successful sign-in resets nothing (an attacker signing in to an
account of its own cannot wipe its address's failures). Counters live in the regional audit
table (blog.data.attempts), shared by every instance of the region.

The client address is `CloudFront-Viewer-Address` ("ip:port", set by CloudFront and by the
sandbox edge), never `X-Forwarded-For`, which the viewer controls; without a well-formed one,
the socket peer. IPv6 addresses count per /64: one host usually owns a whole /64.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from starlette.requests import Request

from blog.data.attempts import Attempts
from blog.settings import AppSettings
from polyregion.data.items import Clock, now_ms

VIEWER_ADDRESS: Final = "cloudfront-viewer-address"


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    limit: int
    window_s: int


def viewer_address(request: Request) -> str:
    """The viewer's IP address as CloudFront saw it; the socket peer if the header is bad."""
    raw = request.headers.get(VIEWER_ADDRESS, "")
    host, sep, port = raw.strip().rpartition(":")  # "198.51.100.7:443", "2001:db8::1:443"
    if sep and port.isdigit():
        try:
            return str(ipaddress.ip_address(host.strip("[]")))
        except ValueError:
            pass
    return request.client.host if request.client else "unknown"


def subject(address: str) -> str:
    """The key an address counts under: itself (IPv4), its /64 (IPv6)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def wait_text(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def throttled_message(mode: str, seconds: int) -> str:
    """The same words whichever rule tripped and whether the account exists (no enumeration)."""
    what = "sign-up" if mode == "signup" else "sign-in"
    return f"too many {what} attempts: try again in {wait_text(seconds)}"


class Throttle:
    """Sliding-window rules over an `Attempts` log; all calls block (run them off the loop)."""

    def __init__(self, settings: AppSettings, attempts: Attempts, clock: Clock = time.time):
        self.attempts = attempts
        self._clock = clock
        s = settings
        self.regions = max(1, len(s.topology.region_names))
        share = self.share
        self.signin_user = Rule(
            "signin-user-address", share(s.signin_user_limit), s.signin_window_s
        )
        self.signin_address = Rule(
            "signin-address", share(s.signin_address_limit), s.signin_window_s
        )
        # Sign-ups stay per region: account creation spam, not guessing, and a budget split
        # across regions would halve what the sandbox's drills (one address) may sign up.
        self.signup_address = Rule("signup-address", s.signup_address_limit, s.signup_window_s)

    def share(self, limit: int) -> int:
        """This region's part of an application-wide budget (see the module docstring)."""
        return max(1, limit // self.regions)

    # -- the two flows -------------------------------------------------------------------
    def signin_retry_after(self, username: str, address: str) -> int | None:
        return self._retry_after(self._signin(username, address))

    def signin_failed(self, username: str, address: str) -> None:
        self._add(self._signin(username, address))

    def signup_retry_after(self, address: str) -> int | None:
        return self._retry_after([(self.signup_address, subject(address))])

    def signup_attempted(self, address: str) -> None:
        self._add([(self.signup_address, subject(address))])

    # -- the window ----------------------------------------------------------------------
    def _signin(self, username: str, address: str) -> list[tuple[Rule, str]]:
        who = subject(address)
        return [(self.signin_user, f"{username}#{who}"), (self.signin_address, who)]

    def _retry_after(self, checks: Sequence[tuple[Rule, str]]) -> int | None:
        """Seconds until every rule allows one more attempt; None if they all do now."""
        now = now_ms(self._clock)
        wait_ms: int | None = None
        for rule, who in checks:
            window_ms = rule.window_s * 1000
            times = self.attempts.recent(f"{rule.name}#{who}", now - window_ms, rule.limit)
            if len(times) >= rule.limit:
                # Free again when the oldest of the last `limit` attempts leaves the window.
                free_at = times[rule.limit - 1] + window_ms
                wait_ms = max(wait_ms or 0, free_at - now)
        return None if wait_ms is None else max(1, math.ceil(wait_ms / 1000))

    def _add(self, checks: Sequence[tuple[Rule, str]]) -> None:
        now = now_ms(self._clock)
        for rule, who in checks:
            self.attempts.add(f"{rule.name}#{who}", now, rule.window_s)
