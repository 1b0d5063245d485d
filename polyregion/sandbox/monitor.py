"""Watches the running sandbox and turns changes into events.

Every tick: which children died (the supervision restarts them, see children.py), what the DNS
server answers *right now* for each
location (uncached, with the location's subnet), and which origin address each edge is using
(its cached answer). Health flips arrive from the checkers' hook instead (see supervisor).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import httpx

from polyregion.sandbox.children import Children
from polyregion.sandbox.edge import STATE_PATH
from polyregion.sandbox.events import EventLog
from polyregion.sandbox.plan import SandboxPlan
from polyregion.sandbox.resolver import ResolveError, query


class Monitor:
    def __init__(
        self,
        plan: SandboxPlan,
        origin_hostname: str,
        events: EventLog,
        children: Children,
        region_health: Callable[[], dict[str, dict[str, Any]]],
        *,
        tick_s: float = 0.25,
    ) -> None:
        self.plan = plan
        self.origin_hostname = origin_hostname
        self.events = events
        self.children = children
        self.region_health = region_health
        self.tick_s = tick_s
        self.dns: dict[str, dict[str, Any]] = {}
        self.edges: dict[str, dict[str, Any]] = {}
        self._flags: dict[str, tuple[bool, bool]] = {}
        self._task: asyncio.Task[None] | None = None
        self._http: httpx.AsyncClient | None = None
        self._poked: asyncio.Event | None = None

    def start(self) -> None:
        self._http = httpx.AsyncClient(timeout=1.0, trust_env=False)
        self._poked = asyncio.Event()
        self._task = asyncio.create_task(self._loop())

    def poke(self) -> None:
        """Look again right away (a health check flipped: DNS answers are about to change)."""
        if self._poked is not None:
            self._poked.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _loop(self) -> None:
        assert self._poked is not None
        while True:
            started = time.monotonic()
            self._poked.clear()
            await self.tick()
            wait = max(0.0, self.tick_s - (time.monotonic() - started))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poked.wait(), timeout=wait)

    async def tick(self) -> None:
        self.children.check()
        self._check_route53_flags()
        await asyncio.gather(
            *(self._check_dns(loc.name) for loc in self.plan.locations),
            *(self._check_edge(loc.name) for loc in self.plan.locations),
        )

    def _check_route53_flags(self) -> None:
        """Inverted/Disabled changed through the Route 53 API (a drill, the AWS CLI)."""
        for region, h in self.region_health().items():
            flags = (bool(h.get("inverted")), bool(h.get("disabled")))
            before = self._flags.get(region)
            self._flags[region] = flags
            if before is not None and before != flags:
                self.events.emit(
                    "route53",
                    f"{region}: health check {h.get('health_check_id')} now "
                    f"inverted={str(flags[0]).lower()} disabled={str(flags[1]).lower()}",
                    region=region,
                    health_check_id=h.get("health_check_id"),
                    inverted=flags[0],
                    disabled=flags[1],
                )

    async def _check_dns(self, location: str) -> None:
        loc = next(x for x in self.plan.locations if x.name == location)
        try:
            ip, ttl = await query(
                self.origin_hostname,
                loc.subnet,
                self.plan.dns_host,
                self.plan.dns_port,
                timeout_s=0.5,
            )
        except ResolveError:
            return
        previous = self.dns.get(location)
        self.dns[location] = {"ip": ip, "ttl": ttl, "checked_at": time.time()}
        if previous is not None and previous["ip"] != ip:
            by_ip = self.plan.region_by_ip
            self.events.emit(
                "dns",
                f"{location}: {self.origin_hostname} now answers "
                f"{by_ip.get(ip, ip)} (was {by_ip.get(previous['ip'], previous['ip'])})",
                location=location,
                region=by_ip.get(ip),
                ip=ip,
                previous_ip=previous["ip"],
                previous_region=by_ip.get(previous["ip"]),
                ttl=ttl,
            )

    async def _check_edge(self, location: str) -> None:
        loc = next(x for x in self.plan.locations if x.name == location)
        if self._http is None:
            return
        try:
            response = await self._http.get(f"http://{loc.ip}:{loc.port}{STATE_PATH}")
            state = response.json()
        except (httpx.HTTPError, ValueError):
            return
        answer = state.get("answer") or {}
        previous = self.edges.get(location)
        self.edges[location] = {
            "ip": answer.get("ip"),
            "ttl": answer.get("ttl"),
            "resolved_at": answer.get("resolved_at"),
            "expires_in": answer.get("expires_in"),
            "requests": state.get("requests"),
            "errors": state.get("errors"),
            "cache": state.get("cache"),
        }
        old_ip = previous.get("ip") if previous else None
        new_ip = answer.get("ip")
        if new_ip and old_ip and new_ip != old_ip:
            by_ip = self.plan.region_by_ip
            self.events.emit(
                "edge",
                f"{location} edge now sends traffic to {by_ip.get(new_ip, new_ip)} "
                f"(was {by_ip.get(old_ip, old_ip)})",
                location=location,
                region=by_ip.get(new_ip),
                ip=new_ip,
                previous_ip=old_ip,
                previous_region=by_ip.get(old_ip),
            )
