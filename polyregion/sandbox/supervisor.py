"""`polyregion up`: start every sandbox component from the topology, watch it, stop it all.

Start order (each step waits only for what the next one needs; the whole is healthy in a few
seconds): control API -> per-region AWS endpoints and the edges (children, in parallel) ->
the Route 53 control plane -> provisioning of every region (same session secret everywhere,
as Secrets Manager replication gives) -> the apps -> health checkers and the DNS server ->
optional components (the replicator, the dashboard) -> healthy.

Stop order is the reverse; every child is in its own process group and is SIGTERMed, then
SIGKILLed, so Ctrl-C or `polyregion down` leaves no process behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import httpx

from polyregion.data.clients import clients_for
from polyregion.data.provision import provision_region
from polyregion.errors import SandboxError
from polyregion.sandbox import components
from polyregion.sandbox import status as status_json
from polyregion.sandbox.control import create_app
from polyregion.sandbox.events import Event, EventLog
from polyregion.sandbox.faults import DEPENDENCIES, Fault, parse
from polyregion.sandbox.injector import FaultInjector
from polyregion.sandbox.monitor import Monitor
from polyregion.sandbox.plan import plan as make_plan
from polyregion.sandbox.ports import check_free
from polyregion.sandbox.process import Child, group_alive
from polyregion.sandbox.profile import profile_for
from polyregion.sandbox.rundir import RunDir
from polyregion.sandbox.servers import BackgroundServer
from polyregion.topology.model import Topology

START_TIMEOUT_S = 60.0


class ReplicationHook(Protocol):
    """What the replicator offers the sandbox (issue 4 plugs it in; see `components`)."""

    async def partition(self, a: str, b: str) -> None: ...

    async def heal(self) -> None: ...

    def status(self) -> dict[str, Any]: ...


class Component(Protocol):
    """An optional part started after the core (the replicator, the dashboard)."""

    name: str

    async def start(self, supervisor: Supervisor) -> None: ...

    async def stop(self) -> None: ...


# Factories of optional components, called with the supervisor once the core is up; a
# factory returns None when its part is not available. The replicator and the dashboard
# register here (they may set `supervisor.replication` / `supervisor.dashboard_url`).
OPTIONAL_COMPONENTS: list[Callable[[Supervisor], Component | None]] = []


def _builtin_components() -> list[Callable[[Supervisor], Component | None]]:
    """The components `up` always starts (imported late: they pull in boto3 and friends)."""
    from polyregion.dashboard.component import dashboard_component
    from polyregion.replication.sandbox import replicator

    return [replicator, dashboard_component]


class Supervisor:
    def __init__(
        self,
        topology: Topology,
        *,
        fast: bool = False,
        run_dir: RunDir | None = None,
        say: Callable[[str], None] = lambda _line: None,
    ) -> None:
        self.topology = topology
        self.profile = profile_for(topology, fast=fast)
        self.plan = make_plan(topology)
        self.run_dir = run_dir or RunDir.for_topology(topology)
        self.say = say
        self.events = EventLog()
        self.children: dict[str, Child] = {}
        self.killed: set[str] = set()
        self.origin_open: dict[str, bool] = {}  # region -> its app answers without the header
        self.dependencies = {r.name: dict.fromkeys(DEPENDENCIES, "up") for r in self.plan.regions}
        self.routing: Any = None
        # The value the edges send and the apps check (origin_guard.py), as CloudFront's custom
        # origin header: generated per run, kept out of argv and logs (children get it by env).
        self.origin_verify_value = secrets.token_urlsafe(48)
        self.replication: ReplicationHook | None = None
        self.dashboard_url: str | None = None
        self.components: list[Component] = []
        self.phase = "starting"
        self.started_at = time.time()
        self.healthy_at: float | None = None
        self.monitor = Monitor(self, tick_s=min(0.25, self.profile.interval_s / 4))
        self.injector = FaultInjector(self)
        self._control = BackgroundServer(
            create_app(self), self.plan.control_host, self.plan.control_port, name="control API"
        )
        self._stop: asyncio.Event | None = None
        self._spawned = False
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- lifecycle ----------------------------------------------------------------------
    async def run(self, on_healthy: Callable[[Supervisor], None] | None = None) -> None:
        """Start, serve until SIGINT/SIGTERM (or `request_stop`), then stop everything."""
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._loop.add_signal_handler(sig, self.request_stop)
        starting = asyncio.create_task(self.start())
        stopping = asyncio.create_task(self._stop.wait())
        try:
            # Ctrl-C while starting stops at once instead of after the sandbox is healthy.
            await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not starting.done():
                starting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await starting
                return
            starting.result()  # a failed start raises here
            if on_healthy is not None:
                on_healthy(self)
            await stopping
        finally:
            stopping.cancel()
            await self.stop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._loop.remove_signal_handler(sig)

    def request_stop(self) -> None:
        if self._stop is not None:
            self._stop.set()

    async def start(self) -> None:
        for key, value in components.SANDBOX_AWS_ENV.items():
            os.environ.setdefault(key, value)  # boto3 here talks to loopback endpoints only
        self.run_dir.acquire(self.plan.control_url)
        try:
            orphans = [g for g in self.run_dir.recorded_children().values() if group_alive(g)]
            if orphans:
                raise SandboxError(
                    f"{len(orphans)} processes of a previous sandbox are still running; "
                    "stop them with `polyregion down`"
                )
            check_free(self.plan.bindings(), source=self._source)
            await self._control.start()
            self.events.emit("sandbox", f"starting ({self.profile.label} profile)")
            await self._start_core()
            self.monitor.start()
            await self._wait_healthy()
        except BaseException:
            await self.stop()
            raise

    async def _start_core(self) -> None:
        logs = self.run_dir.logs
        # Every child starts at once: their imports overlap. The apps touch AWS only when
        # asked, so they may start before their region is provisioned.
        for r in self.plan.regions:
            self._spawn(components.aws_endpoint(r, self.topology, logs))
        self._spawn(components.route53_moto(self.plan, self.topology, logs))
        for r in self.plan.regions:
            self._spawn(components.app(r, self.plan, self.topology, logs))
        for loc in self.plan.locations:
            self._spawn(
                components.edge(
                    loc, self.plan, self.topology, logs, origin_verify=self.origin_verify_value
                )
            )
        await asyncio.gather(
            *(self._wait_listening(f"aws:{r.name}", r.ip, r.aws_port) for r in self.plan.regions)
        )
        self._phase_done("AWS endpoints listening")
        await asyncio.to_thread(self._provision)
        self._phase_done("regions provisioned (tables, buckets, secrets)")
        # Optional components need provisioned regions, not routing: start them meanwhile.
        extras = asyncio.create_task(self._start_components())
        try:
            await self._start_origins_and_routing()
            await extras
        except BaseException:
            extras.cancel()
            with contextlib.suppress(BaseException):
                await extras
            raise

    async def _start_components(self) -> None:
        for factory in [*_builtin_components(), *OPTIONAL_COMPONENTS]:
            component = factory(self)
            if component is not None:
                await component.start(self)
                self.components.append(component)
                self._phase_done(f"{component.name} started")

    async def _start_origins_and_routing(self) -> None:
        await asyncio.gather(
            self._wait_listening(
                "route53:moto", self.plan.route53_host, self.plan.route53_moto_port
            ),
            *(
                self._wait_listening(f"app:{r.name}", r.ip, r.origin_port)
                for r in self.plan.regions
            ),
            *(
                self._wait_listening(f"edge:{loc.name}", loc.ip, loc.port)
                for loc in self.plan.locations
            ),
        )
        # Checkers start once every origin's deep health answers 200: a check starts healthy,
        # and probing an app still warming up (first boto3 clients) would flip it for nothing.
        await asyncio.gather(*(self._wait_ready(r.name) for r in self.plan.regions))
        await self._check_origins()
        self._phase_done("apps healthy, edges listening")
        await self._start_routing()
        self._phase_done("Route 53 API, health checkers and DNS started")

    def _provision(self) -> None:
        """Every region's tables, bucket and secrets; each value is the same everywhere."""
        secret = secrets.token_urlsafe(48)
        with ThreadPoolExecutor(len(self.plan.regions)) as pool:
            futures = [
                pool.submit(
                    provision_region,
                    self.topology,
                    r.name,
                    clients_for(r.name, self.plan.aws_endpoints),
                    secret_value=secret,
                    origin_verify_value=self.origin_verify_value,
                )
                for r in self.plan.regions
            ]
            for f in futures:
                f.result()

    async def _start_routing(self) -> None:
        from polyregion.sandbox.routing import Routing

        routing = Routing(self.topology, self.plan, self.profile, on_flip=self._on_flip)
        await asyncio.to_thread(routing.start)
        self.routing = routing

    async def stop(self) -> None:
        if self.phase == "stopped":
            return
        self.phase = "stopping"
        self.events.emit("sandbox", "stopping")
        await self.monitor.stop()
        for component in reversed(self.components):
            with contextlib.suppress(Exception):
                await component.stop()
        self.components.clear()
        if self.routing is not None:
            await asyncio.to_thread(self.routing.stop)
            self.routing = None
        await asyncio.gather(*(asyncio.to_thread(c.stop) for c in self.children.values()))
        self.children.clear()
        await self._control.stop()
        # Children recorded by an earlier run (orphans) stay on record for `polyregion down`.
        self.run_dir.release(forget_children=self._spawned)
        self.phase = "stopped"

    # -- children -----------------------------------------------------------------------
    def _spawn(self, child: Child) -> None:
        child.start()  # from the loop's (main) thread: see Child.start
        self._spawned = True
        self.children[child.name] = child
        self.run_dir.record_children(
            {name: c.pid for name, c in self.children.items() if c.pid is not None}
        )

    async def _wait_listening(
        self, name: str, host: str, port: int, timeout_s: float = 30.0
    ) -> None:
        if name.startswith("app:"):
            timeout_s = self.topology.sandbox.app_start_timeout_s
        deadline = time.monotonic() + timeout_s
        child = self.children[name]
        while True:
            if not child.alive:
                raise SandboxError(
                    f"{name} exited with code {child.returncode} while starting"
                    + _log_report(child)
                )
            with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
                return
            if time.monotonic() > deadline:
                hint = (
                    f"; it must listen on $HOST:$PORT ({host}:{port})"
                    if name.startswith("app:")
                    else ""
                )
                raise SandboxError(
                    f"{name} did not listen on {host}:{port} within {timeout_s:.0f} s{hint}"
                    + _log_report(child)
                )
            await asyncio.sleep(0.05)

    def _phase_done(self, what: str) -> None:
        elapsed = time.time() - self.started_at
        self.events.emit("sandbox", f"{what} ({elapsed:.1f} s)", phase=what, elapsed_s=elapsed)

    async def _wait_ready(self, region: str) -> None:
        timeout_s = self.topology.sandbox.app_start_timeout_s
        r = self.plan.region(region)
        url = f"{r.origin_url}{self.topology.health.path}"
        headers = {"host": self.topology.origin_hostname}
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(timeout=3.0, trust_env=False) as http:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(url, headers=headers)).status_code == 200:
                        return
                child = self.children[f"app:{region}"]
                if not child.alive:
                    raise SandboxError(
                        f"app:{region} exited with code {child.returncode} while starting"
                        + _log_report(child)
                    )
                if time.monotonic() > deadline:
                    raise SandboxError(
                        f"{region}'s app did not answer 200 at {url} within {timeout_s:.0f} s "
                        "([health] path must be its deep health endpoint)" + _log_report(child)
                    )
                await asyncio.sleep(0.1)

    async def _check_origins(self) -> None:
        """Note which apps answer without the origin-verify header (their origin is open):
        `status` shows it, as the contract lets an app choose that (docs/your-app.md)."""
        if self.origin_verify_value is None:
            return
        path = self.topology.drill.read_paths[0]
        headers = {"host": self.topology.origin_hostname}
        async with httpx.AsyncClient(timeout=3.0, trust_env=False) as http:
            for r in self.plan.regions:
                try:
                    code = (await http.get(f"{r.origin_url}{path}", headers=headers)).status_code
                except httpx.HTTPError:
                    continue
                self.origin_open[r.name] = code < 400
                if code < 400:
                    self.events.emit(
                        "origin",
                        f"{r.name}: the app answered {code} to GET {path} without "
                        f"{self.topology.origin.verify_header}: its origin is open",
                        region=r.name,
                    )

    # -- health -------------------------------------------------------------------------
    @property
    def healthy(self) -> bool:
        return self.healthy_at is not None and self.phase == "running"

    def region_health(self) -> dict[str, dict[str, Any]]:
        return self.routing.health() if self.routing is not None else {}

    def _on_flip(self, region: str | None, healthy: bool, detail: dict[str, Any]) -> None:
        """Called from a checker thread: hand the event to the loop."""
        if self._loop is None:
            return
        state = "healthy" if healthy else "unhealthy"

        def emit() -> None:
            self.events.emit(
                "health",
                f"{region}: {state} ({detail.get('reason', '')})",
                region=region,
                healthy=healthy,
                **detail,
            )
            self.monitor.poke()  # see the DNS change now, not at the next tick

        self._loop.call_soon_threadsafe(emit)

    async def _wait_healthy(self) -> None:
        """Every region healthy for the checkers and every location routed to its nearest."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            health = self.region_health()
            regions_ok = all(health.get(r.name, {}).get("healthy") for r in self.plan.regions)
            dns = self.monitor.dns
            routed = all(
                dns.get(loc.name, {}).get("ip") == self.plan.region(loc.nearest[0]).ip
                for loc in self.plan.locations
            )
            edges_up = all(loc.name in self.monitor.edges for loc in self.plan.locations)
            if regions_ok and routed and edges_up:
                break
            if time.monotonic() > deadline:
                raise SandboxError(
                    f"the sandbox did not become healthy within {START_TIMEOUT_S:.0f} s; "
                    f"see the logs in {self.run_dir.logs}"
                )
            await asyncio.sleep(0.05)
        self.phase = "running"
        self.healthy_at = time.time()
        self.events.emit(
            "sandbox",
            f"healthy in {self.healthy_at - self.started_at:.1f} s",
            startup_s=round(self.healthy_at - self.started_at, 3),
        )

    # -- faults -------------------------------------------------------------------------
    def parse_fault(self, data: object) -> Fault:
        return parse(data, [r.name for r in self.plan.regions])

    async def apply_fault(self, fault: Fault) -> list[Event]:
        if self.phase != "running":
            raise SandboxError(f"the sandbox is {self.phase}; faults need it running")
        return await self.injector.apply(fault)

    async def restart_app(self, region: str) -> None:
        """Start a region's app again (after `fault kill`) and wait until it listens."""
        name = f"app:{region}"
        r = self.plan.region(region)
        self.monitor.forget(name)
        self._spawn(components.app(r, self.plan, self.topology, self.run_dir.logs))
        await self._wait_listening(name, r.ip, r.origin_port)

    # -- views --------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        return status_json.build(self)

    @property
    def route53_endpoint(self) -> str | None:
        return getattr(self.routing, "endpoint", None)

    @property
    def hosted_zone_id(self) -> str | None:
        return getattr(self.routing, "hosted_zone_id", None)

    @property
    def _source(self) -> str:
        return (
            self.topology.source if not self.topology.source.startswith("<") else "polyregion.toml"
        )


def _log_report(child: Child) -> str:
    """'; its log <path> ends with: <lines>' - why a child failed, without opening a file."""
    tail = child.log_tail()
    where = f"; see {child.log_path}" if child.log_path else ""
    if not tail:
        return f"{where} (empty)" if where else ""
    indented = "\n".join(f"    {line}" for line in tail.splitlines())
    return f"{where}, which ends with:\n{indented}"
