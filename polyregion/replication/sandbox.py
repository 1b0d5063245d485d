"""The replicator inside `polyregion up`: a child process, its faults, status and events.

Plugged into the sandbox supervisor as an optional component (see
`polyregion.sandbox.supervisor`): once the regions are provisioned it puts each bucket's
replication configuration (as the infrastructure does, so objects written before stay
unreplicated, as on S3), starts `python -m polyregion.replication` on the plan's replicator
port, forwards `fault partition` / `fault heal`, fills `status.replication` and re-emits the
replicator's events as sandbox events of kind `replication`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from typing import TYPE_CHECKING, Any, Final

import httpx

from polyregion.data.clients import clients_for
from polyregion.replication.s3 import configure_buckets

if TYPE_CHECKING:
    from polyregion.sandbox.supervisor import Supervisor

CHILD_NAME: Final = "replicator"
POLL_S: Final = 0.5
# Replicator event kinds worth a line in the sandbox's own event log (per-object ones are not).
FORWARDED: Final = frozenset(
    {
        "replicator-started",
        "partition",
        "heal",
        "conflict",
        "replication-error",
        "stream-read-failed",
        "stream-read-recovered",
        "secret-replicated",
    }
)


_OWN_FIELDS: Final = frozenset({"seq", "time", "kind", "detail", "region", "event"})


class ReplicatorComponent:
    name = CHILD_NAME

    def __init__(self, supervisor: Supervisor) -> None:
        self.sv = supervisor
        plan = supervisor.plan
        self.url = f"http://{plan.control_host}:{plan.replicator_port}"
        self._status: dict[str, Any] = {}
        self._seen = 0
        self._task: asyncio.Task[None] | None = None
        self._http = httpx.AsyncClient(timeout=5.0, trust_env=False)

    # -- Component -----------------------------------------------------------------------------
    async def start(self, supervisor: Supervisor) -> None:
        from polyregion.sandbox import components
        from polyregion.sandbox.process import Child

        sv = supervisor
        endpoints = sv.plan.aws_endpoints
        clients = {r: clients_for(r, endpoints) for r in endpoints}
        await asyncio.to_thread(configure_buckets, sv.topology, clients)
        state = sv.run_dir.path / "replication"
        state.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "polyregion.replication", "--state-dir", str(state)]
        argv += [
            "--endpoints",
            json.dumps(endpoints),
            "--control-port",
            str(sv.plan.replicator_port),
        ]
        if sv.topology.source and not sv.topology.source.startswith("<"):
            argv += ["--config", sv.topology.source]
        child = Child(
            CHILD_NAME,
            argv,
            env=components.base_env(sv.topology),
            log_path=sv.run_dir.logs / "replicator.log",
        )
        sv._spawn(child)  # recorded with the other children: `down` cleans it up too
        await self._wait_ready(child)
        sv.replication = self
        self._task = asyncio.create_task(self._follow())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._http.aclose()
        child = self.sv.children.get(CHILD_NAME)
        if child is not None:
            await asyncio.to_thread(child.stop)  # SIGTERM: a final checkpoint

    # -- ReplicationHook -------------------------------------------------------------------------
    async def partition(self, a: str, b: str) -> None:
        await self._post("/partition", {"a": a, "b": b})

    async def heal(self) -> None:
        await self._post("/heal", {})

    def status(self) -> dict[str, Any]:
        """The last status fetched (refreshed every POLL_S); {} until the first answer."""
        return self._status

    # -- internals -------------------------------------------------------------------------------
    async def _post(self, path: str, body: dict[str, Any]) -> None:
        from polyregion.errors import SandboxError

        try:
            response = await self._http.post(f"{self.url}{path}", json=body)
        except httpx.HTTPError as exc:
            raise SandboxError(f"the replicator did not answer ({exc}); see its log") from None
        if response.status_code != 200:
            raise SandboxError(f"the replicator refused {path}: {response.text}")
        await self._refresh()

    async def _wait_ready(self, child: Any, timeout_s: float = 30.0) -> None:
        from polyregion.errors import SandboxError

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            if not child.alive:
                raise SandboxError(
                    f"the replicator exited with code {child.returncode}; see {child.log_path}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if (await self._http.get(f"{self.url}/status")).status_code == 200:
                    return
            if loop.time() > deadline:
                raise SandboxError(f"the replicator did not start within {timeout_s:.0f} s")
            await asyncio.sleep(0.05)

    async def _refresh(self) -> None:
        with contextlib.suppress(httpx.HTTPError, ValueError):
            status = (await self._http.get(f"{self.url}/status")).json()
            status["control_url"] = self.url
            self._status = status

    async def _follow(self) -> None:
        """Keep the status fresh and re-emit the replicator's notable events."""
        while True:
            await self._refresh()
            with contextlib.suppress(httpx.HTTPError, ValueError, KeyError, TypeError):
                resp = await self._http.get(f"{self.url}/events", params={"since": self._seen})
                for e in resp.json()["events"]:
                    self._seen = max(self._seen, int(e["seq"]))
                    if e["kind"] in FORWARDED:
                        extra = {k: v for k, v in e.items() if k not in _OWN_FIELDS}
                        self.sv.events.emit(
                            "replication",
                            str(e["detail"]),
                            region=e.get("region"),
                            event=e["kind"],  # the replicator's own kind: partition, heal...
                            **extra,
                        )
            await asyncio.sleep(POLL_S)


def replicator(supervisor: Supervisor) -> ReplicatorComponent:
    """The factory the supervisor calls once the core is up."""
    return ReplicatorComponent(supervisor)
