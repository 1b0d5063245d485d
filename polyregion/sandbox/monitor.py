"""Watches the running sandbox and turns changes into events.

Every tick: which children died unexpectedly, what the DNS server answers *right now* for each
location (uncached, with the location's subnet), and which origin address each edge is using
(its cached answer). Health flips arrive from the checkers' hook instead (see supervisor).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Any

import httpx

from polyregion.sandbox.edge import STATE_PATH
from polyregion.sandbox.resolver import ResolveError, query

if TYPE_CHECKING:
    from polyregion.sandbox.supervisor import Supervisor


class Monitor:
    def __init__(self, sv: Supervisor, *, tick_s: float = 0.25) -> None:
        self.sv = sv
        self.tick_s = tick_s
        self.dns: dict[str, dict[str, Any]] = {}
        self.edges: dict[str, dict[str, Any]] = {}
        self._reported_dead: set[str] = set()
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
        self._check_children()
        self._check_route53_flags()
        await asyncio.gather(
            *(self._check_dns(loc.name) for loc in self.sv.plan.locations),
            *(self._check_edge(loc.name) for loc in self.sv.plan.locations),
        )

    def _check_children(self) -> None:
        for name, child in list(self.sv.children.items()):
            kind, _, who = name.partition(":")
            expected_dead = kind == "app" and who in self.sv.killed
            if child.alive or expected_dead or name in self._reported_dead:
                continue
            self._reported_dead.add(name)
            self.sv.events.emit(
                "process",
                f"{name} exited unexpectedly (code {child.returncode}); see {child.log_path}",
                region=who if kind in ("aws", "app") else None,
                location=who if kind == "edge" else None,
                child=name,
                returncode=child.returncode,
            )

    def _check_route53_flags(self) -> None:
        """Inverted/Disabled changed through the Route 53 API (a drill, the AWS CLI)."""
        for region, h in self.sv.region_health().items():
            flags = (bool(h.get("inverted")), bool(h.get("disabled")))
            before = self._flags.get(region)
            self._flags[region] = flags
            if before is not None and before != flags:
                self.sv.events.emit(
                    "route53",
                    f"{region}: health check {h.get('health_check_id')} now "
                    f"inverted={str(flags[0]).lower()} disabled={str(flags[1]).lower()}",
                    region=region,
                    health_check_id=h.get("health_check_id"),
                    inverted=flags[0],
                    disabled=flags[1],
                )

    def forget(self, child_name: str) -> None:
        """A child was restarted on purpose: report its next death again."""
        self._reported_dead.discard(child_name)

    async def _check_dns(self, location: str) -> None:
        loc = next(x for x in self.sv.plan.locations if x.name == location)
        try:
            ip, ttl = await query(
                self.sv.topology.origin_hostname,
                loc.subnet,
                self.sv.plan.dns_host,
                self.sv.plan.dns_port,
                timeout_s=0.5,
            )
        except ResolveError:
            return
        previous = self.dns.get(location)
        self.dns[location] = {"ip": ip, "ttl": ttl, "checked_at": time.time()}
        if previous is not None and previous["ip"] != ip:
            by_ip = self.sv.plan.region_by_ip
            self.sv.events.emit(
                "dns",
                f"{location}: {self.sv.topology.origin_hostname} now answers "
                f"{by_ip.get(ip, ip)} (was {by_ip.get(previous['ip'], previous['ip'])})",
                location=location,
                region=by_ip.get(ip),
                ip=ip,
                previous_ip=previous["ip"],
                previous_region=by_ip.get(previous["ip"]),
                ttl=ttl,
            )

    async def _check_edge(self, location: str) -> None:
        loc = next(x for x in self.sv.plan.locations if x.name == location)
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
            by_ip = self.sv.plan.region_by_ip
            self.sv.events.emit(
                "edge",
                f"{location} edge now sends traffic to {by_ip.get(new_ip, new_ip)} "
                f"(was {by_ip.get(old_ip, old_ip)})",
                location=location,
                region=by_ip.get(new_ip),
                ip=new_ip,
                previous_ip=old_ip,
                previous_region=by_ip.get(old_ip),
            )
