"""Applying faults to the running sandbox (parsing and validation are in `faults`).

One fault at a time (a lock): a kill and a revive racing each other would leave the region in
a state nobody asked for. Every applied fault becomes a `fault` event carrying the equivalent
CLI command, so timelines show what to type to do it again.

The injector owns the fault state: which regions are killed (their app is *held* by the
supervision, so it is not restarted until revived) and each region's dependency modes;
`status` and `heal` read it from here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from polyregion.errors import SandboxError
from polyregion.sandbox.aws_endpoint import FAULT_TOKEN_HEADER, FAULTS_PATH
from polyregion.sandbox.children import Children
from polyregion.sandbox.component import Partitioner
from polyregion.sandbox.events import Event, EventLog
from polyregion.sandbox.faults import DEPENDENCIES, Fault, FaultError
from polyregion.sandbox.plan import SandboxPlan


class FaultInjector:
    def __init__(
        self,
        plan: SandboxPlan,
        events: EventLog,
        children: Children,
        *,
        revive_app: Callable[[str], Awaitable[None]],
        partitioner: Callable[[], Partitioner | None] = lambda: None,
        fault_token: str = "",
    ) -> None:
        self.plan = plan
        self.fault_token = fault_token  # the run's secret the region endpoints require
        self.events = events
        self.children = children
        self.revive_app = revive_app  # starts the held app again and waits until it listens
        self.partitioner = partitioner
        self.dependencies = {r.name: dict.fromkeys(DEPENDENCIES, "up") for r in plan.regions}
        self._lock = asyncio.Lock()

    @property
    def killed(self) -> set[str]:
        return {r.name for r in self.plan.regions if self.children.held(f"app:{r.name}")}

    async def apply(self, fault: Fault) -> list[Event]:
        """Apply `fault`; returns the events it caused."""
        async with self._lock:
            before = self.events.last_seq
            if fault.action == "kill":
                await self.kill(fault.region or "")
            elif fault.action == "revive":
                await self.revive(fault.region or "")
            elif fault.action == "dependency":
                await self.dependency(
                    fault.region or "", fault.dependency or "", fault.mode or "up"
                )
            elif fault.action == "partition":
                await self.partition(fault)
            elif fault.action == "heal":
                await self.heal()
            return self.events.since(before)

    def _emit(self, message: str, region: str | None, command: str, **detail: Any) -> None:
        self.events.emit("fault", message, region=region, command=command, **detail)

    async def kill(self, region: str) -> None:
        child = self.children.hold(f"app:{region}")  # not restarted until revived
        await asyncio.to_thread(child.kill)
        self._emit(
            f"{region}: origin killed", region, f"polyregion fault kill {region}", action="kill"
        )

    async def revive(self, region: str) -> None:
        command = f"polyregion fault revive {region}"
        name = f"app:{region}"
        if self.children[name].alive:
            self.children.release(name)
            self._emit(f"{region}: origin already running", region, command, action="revive")
            return
        await self.revive_app(region)
        self._emit(f"{region}: origin revived", region, command, action="revive")

    async def dependency(self, region: str, dependency: str, mode: str) -> None:
        endpoint = self.plan.region(region).aws_endpoint
        async with httpx.AsyncClient(timeout=5.0, trust_env=False) as http:
            response = await http.post(
                f"{endpoint}{FAULTS_PATH}",
                json={"dependency": dependency, "mode": mode},
                headers={FAULT_TOKEN_HEADER: self.fault_token},
            )
        if response.status_code != 200:
            raise SandboxError(f"{region} AWS endpoint refused the fault: {response.text}")
        self.dependencies[region][dependency] = mode
        self._emit(
            f"{region}: {dependency} {mode}",
            region,
            f"polyregion fault dependency {region} {dependency} {mode}",
            action="dependency",
            dependency=dependency,
            mode=mode,
        )

    async def partition(self, fault: Fault) -> None:
        partitioner = self.partitioner()
        if partitioner is None:
            raise FaultError("partition needs the replicator, which is not running in this sandbox")
        await partitioner.partition(*fault.regions)
        self._emit(
            f"replication partitioned: {' <-> '.join(fault.regions)}",
            None,
            fault.command,
            action="partition",
            regions=list(fault.regions),
        )

    async def heal(self) -> None:
        for region in sorted(self.killed):
            await self.revive(region)
        for region, deps in self.dependencies.items():
            for dep, mode in deps.items():
                if mode != "up":
                    await self.dependency(region, dep, "up")
        if (partitioner := self.partitioner()) is not None:
            await partitioner.heal()
        self._emit(
            "healed: every region and dependency is back",
            None,
            "polyregion fault heal",
            action="heal",
        )
