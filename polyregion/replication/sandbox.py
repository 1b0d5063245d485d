"""The replicator inside `polyregion up`: a child process, its faults, status and events.

A sandbox component (`polyregion.sandbox.component`), composed in by `polyregion up`
(polyregion/stack.py): once the regions are provisioned it puts each bucket's
replication configuration (as the infrastructure does, so objects written before stay
unreplicated, as on S3), starts `python -m polyregion.replication` on the plan's replicator
port, forwards `fault partition` / `fault heal`, fills `status.replication` and re-emits the
replicator's events as sandbox events of kind `replication`. The child is supervised like every
other: killed, it is started again and resumes from its checkpoint (nothing is lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from typing import Any, Final

import httpx

from polyregion.data.clients import clients_for
from polyregion.errors import SandboxError
from polyregion.replication.s3 import configure_buckets
from polyregion.sandbox.children import EventSink
from polyregion.sandbox.component import ComponentContext
from polyregion.sandbox.process import Child

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

    def __init__(self) -> None:
        self.url = ""
        self._status: dict[str, Any] = {}
        self._seen = 0
        self._task: asyncio.Task[None] | None = None
        self._http = httpx.AsyncClient(timeout=5.0, trust_env=False)
        self._child: Child | None = None
        self._events: EventSink | None = None

    # -- Component -----------------------------------------------------------------------------
    async def start(self, ctx: ComponentContext) -> None:
        self._events = ctx.events
        self.url = f"http://{ctx.plan.control_host}:{ctx.plan.replicator_port}"
        endpoints = ctx.plan.aws_endpoints
        clients = {r: clients_for(r, endpoints) for r in endpoints}
        await asyncio.to_thread(configure_buckets, ctx.topology, clients)
        state = ctx.run_dir / "replication"
        state.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "polyregion.replication", "--state-dir", str(state)]
        argv += [
            "--endpoints",
            json.dumps(endpoints),
            "--control-port",
            str(ctx.plan.replicator_port),
        ]
        if ctx.topology.source and not ctx.topology.source.startswith("<"):
            argv += ["--config", ctx.topology.source]
        env, log = ctx.child_env, ctx.logs / "replicator.log"
        # Supervised like every child: restarted after a crash (it resumes from its checkpoint)
        # and recorded with the others, so `down` cleans it up too.
        self._child = ctx.spawn(
            lambda: Child(CHILD_NAME, argv, env=env, log_path=log), after_restart=self._restarted
        )
        await self._wait_ready(self._child)
        self._task = asyncio.create_task(self._follow())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._http.aclose()
        # SIGTERM: a final checkpoint (the supervision is stopped by now: no restart follows).
        if self._child is not None:
            await asyncio.to_thread(self._child.stop)

    def status(self) -> dict[str, Any]:
        """The `replication` field of the status JSON: the last status fetched (refreshed
        every POLL_S; {} until the first answer)."""
        return {"replication": self._status}

    # -- Partitioner -----------------------------------------------------------------------------
    async def partition(self, a: str, b: str) -> None:
        await self._post("/partition", {"a": a, "b": b})

    async def heal(self) -> None:
        await self._post("/heal", {})

    # -- internals -------------------------------------------------------------------------------
    async def _restarted(self, child: Child) -> None:
        """The supervision started a new replicator after a crash: it resumes from its
        checkpoint on the same control port, so following it goes on by itself."""
        self._child = child
        self._seen = 0  # a new process numbers its events from 1 again

    async def _post(self, path: str, body: dict[str, Any]) -> None:
        try:
            response = await self._http.post(f"{self.url}{path}", json=body)
        except httpx.HTTPError as exc:
            raise SandboxError(f"the replicator did not answer ({exc}); see its log") from None
        if response.status_code != 200:
            raise SandboxError(f"the replicator refused {path}: {response.text}")
        await self._refresh()

    async def _wait_ready(self, child: Child, timeout_s: float = 30.0) -> None:
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
                        assert self._events is not None
                        self._events.emit(
                            "replication",
                            str(e["detail"]),
                            region=e.get("region"),
                            event=e["kind"],  # the replicator's own kind: partition, heal...
                            **extra,
                        )
            await asyncio.sleep(POLL_S)


def replicator() -> ReplicatorComponent:
    """The factory `polyregion up` hands the supervisor."""
    return ReplicatorComponent()
