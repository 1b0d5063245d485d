"""Every child process of the sandbox, kept running: restart with backoff, an event per restart.

A child that dies on its own (a crash, the OOM killer, someone's `kill -9`) is started again
after a backoff (0.5 s, doubling to 30 s; back to 0.5 s once it has run 30 s), so a region is
dead only when someone asked for it: `fault kill` *holds* the region's app, and it stays dead
until `fault revive` releases it. Each death and each restart is a `process` event, and the
restart counts are in the status JSON (`children`).

Started from the event loop's (main) thread only: `Child.start` must not run on a worker
thread (PDEATHSIG, see process.py). The monitor calls `check()` on every tick.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from polyregion.sandbox.process import Child

INITIAL_BACKOFF_S: Final = 0.5
MAX_BACKOFF_S: Final = 30.0
STABLE_AFTER_S: Final = 30.0


class EventSink(Protocol):
    def emit(
        self,
        kind: str,
        message: str = "",
        *,
        region: str | None = None,
        location: str | None = None,
        **detail: Any,
    ) -> Any: ...


AfterRestart = Callable[[Child], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Backoff:
    """How long to wait before restarting a child that died `failures` times in a row."""

    initial_s: float = INITIAL_BACKOFF_S
    max_s: float = MAX_BACKOFF_S
    stable_after_s: float = STABLE_AFTER_S  # a child that ran this long starts over at initial_s

    def delay(self, failures: int) -> float:
        return float(min(self.max_s, self.initial_s * 2 ** max(0, failures - 1)))


@dataclass
class _Supervised:
    make: Callable[[], Child]
    child: Child
    started_at: float
    after_restart: AfterRestart | None = None
    restarts: int = 0
    failures: int = 0  # deaths in a row without a stable run in between
    held: bool = False  # a deliberate death (`fault kill`): never restarted while held
    restart_at: float | None = None  # when a dead child is due to start again
    last_restart_at: float | None = None  # wall clock
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


def _who(name: str) -> dict[str, str | None]:
    kind, _, who = name.partition(":")
    return {
        "region": who if kind in ("aws", "app") else None,
        "location": who if kind == "edge" else None,
    }


class Children:
    """The sandbox's children by name, each with how to make it again."""

    def __init__(
        self,
        events: EventSink,
        *,
        on_change: Callable[[dict[str, int]], None] = lambda _pids: None,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.events = events
        self.on_change = on_change  # the run dir records the process groups for `down`
        self.backoff = backoff or Backoff()
        self.clock = clock
        self.wall = wall
        self._all: dict[str, _Supervised] = {}

    # -- what the supervisor and components use --------------------------------------------
    def spawn(
        self, make: Callable[[], Child], *, after_restart: AfterRestart | None = None
    ) -> Child:
        """Start `make()` and keep it running; `after_restart(child)` runs after each restart."""
        child = make()
        child.start()
        self._all[child.name] = _Supervised(make, child, self.clock(), after_restart)
        self._recorded()
        return child

    def __getitem__(self, name: str) -> Child:
        return self._all[name].child

    def get(self, name: str) -> Child | None:
        entry = self._all.get(name)
        return entry.child if entry is not None else None

    def __iter__(self) -> Iterator[Child]:
        return iter([s.child for s in self._all.values()])

    def hold(self, name: str) -> Child:
        """A deliberate death follows: do not restart this child until `release`."""
        entry = self._all[name]
        entry.held = True
        entry.restart_at = None
        return entry.child

    def held(self, name: str) -> bool:
        entry = self._all.get(name)
        return entry is not None and entry.held

    def release(self, name: str) -> Child:
        """Start a held child again now (`fault revive`); a fresh failure count."""
        entry = self._all[name]
        entry.held = False
        entry.failures = 0
        entry.restart_at = None
        if not entry.child.alive:
            entry.child = entry.make()
            entry.child.start()
            entry.started_at = self.clock()
            self._recorded()
        return entry.child

    # -- supervision -----------------------------------------------------------------------
    def check(self) -> None:
        """Notice deaths, restart what is due. Called by the monitor on every tick."""
        now = self.clock()
        for name, entry in list(self._all.items()):
            child = entry.child
            if entry.held or child.alive:
                if (
                    child.alive
                    and entry.failures
                    and now - entry.started_at > self.backoff.stable_after_s
                ):
                    entry.failures = 0
                continue
            if entry.restart_at is None:
                entry.failures += 1
                delay = self.backoff.delay(entry.failures)
                entry.restart_at = now + delay
                self.events.emit(
                    "process",
                    f"{name} exited unexpectedly (code {child.returncode}); restarting in "
                    f"{delay:.1f} s; see {child.log_path}",
                    child=name,
                    returncode=child.returncode,
                    restart_in_s=delay,
                    **_who(name),
                )
            if now >= entry.restart_at:
                self._restart(name, entry)

    def _restart(self, name: str, entry: _Supervised) -> None:
        old_pid = entry.child.pid
        entry.child = entry.make()
        try:
            entry.child.start()
        except OSError as exc:  # not even forked: try again after the next backoff
            entry.failures += 1
            entry.restart_at = self.clock() + self.backoff.delay(entry.failures)
            self.events.emit(
                "process", f"{name} could not be restarted: {exc}", child=name, **_who(name)
            )
            return
        entry.restart_at = None
        entry.started_at = self.clock()
        entry.restarts += 1
        entry.last_restart_at = self.wall()
        self._recorded()
        self.events.emit(
            "process",
            f"{name} restarted (pid {entry.child.pid}, was {old_pid}; restart {entry.restarts})",
            child=name,
            pid=entry.child.pid,
            previous_pid=old_pid,
            restarts=entry.restarts,
            **_who(name),
        )
        if entry.after_restart is not None:
            task = asyncio.get_running_loop().create_task(entry.after_restart(entry.child))
            entry.tasks.add(task)
            task.add_done_callback(entry.tasks.discard)

    def status(self) -> list[dict[str, Any]]:
        """One entry per child: the `children` list of the status JSON."""
        return [
            {
                "name": name,
                "pid": s.child.pid,
                "alive": s.child.alive,
                "restarts": s.restarts,
                "last_restart_at": s.last_restart_at,
                "held": s.held,
                "log": None if s.child.log_path is None else str(s.child.log_path),
            }
            for name, s in self._all.items()
        ]

    async def stop_all(self) -> None:
        for entry in self._all.values():
            for task in list(entry.tasks):
                task.cancel()
        await asyncio.gather(*(asyncio.to_thread(s.child.stop) for s in self._all.values()))
        self._all.clear()

    def _recorded(self) -> None:
        self.on_change({n: s.child.pid for n, s in self._all.items() if s.child.pid is not None})
