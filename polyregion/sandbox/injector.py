"""Applying faults to the running sandbox (parsing and validation are in `faults`).

One fault at a time (a lock): a kill and a revive racing each other would leave the region in
a state nobody asked for. Every applied fault becomes a `fault` event carrying the equivalent
CLI command, so timelines show what to type to do it again.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import httpx

from polyregion.errors import SandboxError
from polyregion.sandbox.aws_endpoint import FAULT_TOKEN_HEADER, FAULTS_PATH
from polyregion.sandbox.events import Event
from polyregion.sandbox.faults import Fault, FaultError

if TYPE_CHECKING:
    from polyregion.sandbox.supervisor import Supervisor


class FaultInjector:
    def __init__(self, sv: Supervisor) -> None:
        self.sv = sv
        self._lock = asyncio.Lock()

    async def apply(self, fault: Fault) -> list[Event]:
        """Apply `fault`; returns the events it caused."""
        async with self._lock:
            before = self.sv.events.last_seq
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
            return self.sv.events.since(before)

    def _emit(self, message: str, region: str | None, command: str, **detail: Any) -> None:
        self.sv.events.emit("fault", message, region=region, command=command, **detail)

    async def kill(self, region: str) -> None:
        child = self.sv.children[f"app:{region}"]
        self.sv.killed.add(region)
        await asyncio.to_thread(child.kill)
        self._emit(
            f"{region}: origin killed", region, f"polyregion fault kill {region}", action="kill"
        )

    async def revive(self, region: str) -> None:
        command = f"polyregion fault revive {region}"
        if self.sv.children[f"app:{region}"].alive:
            self.sv.killed.discard(region)
            self._emit(f"{region}: origin already running", region, command, action="revive")
            return
        await self.sv.restart_app(region)
        self.sv.killed.discard(region)
        self._emit(f"{region}: origin revived", region, command, action="revive")

    async def dependency(self, region: str, dependency: str, mode: str) -> None:
        endpoint = self.sv.plan.region(region).aws_endpoint
        async with httpx.AsyncClient(timeout=5.0, trust_env=False) as http:
            response = await http.post(
                f"{endpoint}{FAULTS_PATH}",
                json={"dependency": dependency, "mode": mode},
                headers={FAULT_TOKEN_HEADER: self.sv.fault_token},
            )
        if response.status_code != 200:
            raise SandboxError(f"{region} AWS endpoint refused the fault: {response.text}")
        self.sv.dependencies[region][dependency] = mode
        self._emit(
            f"{region}: {dependency} {mode}",
            region,
            f"polyregion fault dependency {region} {dependency} {mode}",
            action="dependency",
            dependency=dependency,
            mode=mode,
        )

    async def partition(self, fault: Fault) -> None:
        if self.sv.replication is None:
            raise FaultError("partition needs the replicator, which is not running in this sandbox")
        await self.sv.replication.partition(*fault.regions)
        self._emit(
            f"replication partitioned: {' <-> '.join(fault.regions)}",
            None,
            fault.command,
            action="partition",
            regions=list(fault.regions),
        )

    async def heal(self) -> None:
        for region in sorted(self.sv.killed):
            await self.revive(region)
        for region, deps in self.sv.dependencies.items():
            for dep, mode in deps.items():
                if mode != "up":
                    await self.dependency(region, dep, "up")
        if self.sv.replication is not None:
            await self.sv.replication.heal()
        self._emit(
            "healed: every region and dependency is back",
            None,
            "polyregion fault heal",
            action="heal",
        )
