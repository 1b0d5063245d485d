"""Supervision of the sandbox's children: restart with backoff, an event per restart, holds."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from polyregion.sandbox.children import Backoff, Children
from polyregion.sandbox.events import EventLog
from polyregion.sandbox.process import Child
from tests.support.clock import Clock


def sleeper(name: str, tmp: Path) -> Child:
    return Child(
        name, [sys.executable, "-c", "import time; time.sleep(60)"], log_path=tmp / "x.log"
    )


def wait_dead(child: Child) -> None:
    deadline = time.monotonic() + 5
    while child.alive and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not child.alive


def test_backoff_doubles_up_to_its_cap() -> None:
    b = Backoff(initial_s=0.5, max_s=4.0)
    assert [b.delay(n) for n in (1, 2, 3, 4, 5, 9)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_a_dead_child_is_restarted_after_its_backoff_with_an_event_each(tmp_path: Path) -> None:
    async def run() -> None:
        clock, events, recorded = Clock(), EventLog(), {}
        children = Children(events, on_change=recorded.update, clock=clock, wall=clock)
        first = children.spawn(lambda: sleeper("replicator", tmp_path))
        try:
            os.kill(first.pid or 0, signal.SIGKILL)
            wait_dead(first)
            children.check()  # noticed: restart due in 0.5 s
            assert children["replicator"] is first
            assert "exited unexpectedly" in events.recent(1)[0].message
            clock.now += 0.6
            children.check()
            second = children["replicator"]
            assert second is not first and second.alive and second.pid != first.pid
            assert recorded["replicator"] == second.pid  # `down` finds the new one
            (entry,) = children.status()
            assert (entry["restarts"], entry["pid"], entry["alive"]) == (1, second.pid, True)
            assert events.recent(1)[0].detail["previous_pid"] == first.pid
            # A second death in a row waits twice as long.
            os.kill(second.pid or 0, signal.SIGKILL)
            wait_dead(second)
            children.check()
            clock.now += 0.6
            children.check()
            assert children["replicator"] is second  # 1 s not over yet
            clock.now += 0.5
            children.check()
            assert children["replicator"].alive and children.status()[0]["restarts"] == 2
        finally:
            await children.stop_all()

    asyncio.run(run())


def test_a_held_child_stays_dead_until_released(tmp_path: Path) -> None:
    async def run() -> None:
        clock = Clock()
        children = Children(EventLog(), clock=clock, wall=clock)
        children.spawn(lambda: sleeper("app:eu-west-1", tmp_path))
        try:
            child = children.hold("app:eu-west-1")  # what `fault kill` does
            child.kill()
            clock.now += 100
            children.check()
            assert not children["app:eu-west-1"].alive
            assert children.status()[0]["held"] is True
            revived = children.release("app:eu-west-1")  # `fault revive`
            assert revived.alive and children.status()[0]["restarts"] == 0
        finally:
            await children.stop_all()

    asyncio.run(run())


def test_after_restart_runs_for_the_new_child(tmp_path: Path) -> None:
    async def run() -> None:
        clock = Clock()
        seen: list[int | None] = []

        async def after(child: Child) -> None:
            seen.append(child.pid)

        children = Children(EventLog(), clock=clock, wall=clock)
        first = children.spawn(lambda: sleeper("edge:paris", tmp_path), after_restart=after)
        try:
            first.kill()
            children.check()
            clock.now += 1
            children.check()
            await asyncio.sleep(0.01)
            assert seen == [children["edge:paris"].pid]
        finally:
            await children.stop_all()

    asyncio.run(run())
