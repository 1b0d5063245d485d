"""Poll the control API and fan the view out to every open page.

One poller per dashboard process, whatever the number of pages: it asks `GET /status` and
`GET /events?since=` every `interval_s`, rebuilds the view and wakes subscribers only when the
view changed. Each subscriber holds just the latest view (a page that cannot keep up skips
straight to the newest state instead of replaying stale ones). The clock is injected and
`poll_once` is public so tests drive polls by hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from polyregion.dashboard.control import ControlClient, ControlRejected, ControlUnavailable
from polyregion.dashboard.history import LagHistory, parse_replication
from polyregion.dashboard.view import MAX_EVENTS, build_view


class Subscription:
    """The newest view for one page; `next()` waits until there is a newer one."""

    def __init__(self) -> None:
        self._latest: str | None = None
        self._ready = asyncio.Event()
        self.closed = False

    def offer(self, message: str) -> None:
        self._latest = message
        self._ready.set()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def next(self) -> str | None:
        """The newest view, or None once the dashboard is shutting down."""
        await self._ready.wait()
        self._ready.clear()
        return None if self.closed else self._latest


class Hub:
    def __init__(
        self,
        control: ControlClient,
        *,
        interval_s: float = 0.5,
        clock: Callable[[], float] = time.time,
        history: LagHistory | None = None,
        coordinates: Mapping[str, tuple[float, float]] | None = None,
    ) -> None:
        self.coordinates = dict(coordinates or {})
        self.control = control
        self.interval_s = interval_s
        self._clock = clock
        self.history = history or LagHistory()
        self._events: deque[dict[str, Any]] = deque(maxlen=MAX_EVENTS)
        self._last_seq = -1
        self._status: dict[str, Any] | None = None
        self._error: str | None = None
        self._updated_at: float | None = None
        self._message = ""
        self._comparable = ""
        self._subscribers: set[Subscription] = set()
        self._task: asyncio.Task[None] | None = None
        self._poll_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._closed = False

    # -- the view ----------------------------------------------------------------------
    def view(self) -> dict[str, Any]:
        return build_view(
            self._status,
            events=list(self._events),
            history=self.history,
            control_url=self.control.base_url,
            error=self._error,
            updated_at=self._updated_at,
            coordinates=self.coordinates,
        )

    @property
    def message(self) -> str:
        """The latest view as JSON (what the stream sends)."""
        return self._message or json.dumps(self.view(), separators=(",", ":"))

    def heartbeat(self) -> str:
        """When the control API last answered, and the error if it does not any more."""
        return json.dumps({"updated_at": self._updated_at, "error": self._error})

    @property
    def region_names(self) -> list[str]:
        regions = (self._status or {}).get("regions")
        names = [r.get("name") for r in regions] if isinstance(regions, list) else []
        return [n for n in names if isinstance(n, str)]

    # -- polling -----------------------------------------------------------------------
    async def poll_once(self) -> bool:
        """One round trip to the control API; True when the view changed (pages were woken)."""
        async with self._poll_lock:
            now = self._clock()
            try:
                status = await self.control.status()
                self._merge_events(await self._new_events(status))
            except (ControlUnavailable, ControlRejected) as exc:
                self._error = str(exc)
            else:
                self._status, self._error, self._updated_at = status, None, now
                self.history.add(now, parse_replication(status.get("replication")))
            view = self.view()
            # `updated_at` moves on every poll; only a change in what is shown wakes the pages.
            comparable = json.dumps({**view, "updated_at": None}, sort_keys=True)
            changed = comparable != self._comparable
            self._comparable = comparable
            self._message = json.dumps(view, separators=(",", ":"))
            if changed:
                for sub in self._subscribers:
                    sub.offer(self._message)
            return changed

    async def _new_events(self, status: dict[str, Any]) -> list[dict[str, Any]]:
        # /events?since= misses nothing between polls; the status's recent list is the
        # fallback for a control API without it.
        try:
            return await self.control.events(self._last_seq)
        except ControlRejected:
            events = status.get("events")
            return [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []

    def _merge_events(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            seq = event.get("seq")
            if isinstance(seq, int):
                if seq <= self._last_seq:
                    continue
                self._last_seq = seq
            elif event in self._events:
                continue
            self._events.append(event)

    async def run(self) -> None:
        while True:
            await self.poll_once()
            # A fault posted from the page wakes the loop early so the page reacts at once.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval_s)
            self._wake.clear()

    def poke(self) -> None:
        self._wake.set()

    # -- lifecycle ---------------------------------------------------------------------
    def ensure_started(self) -> None:
        """Start polling on first use: a mounted sub-app gets no lifespan events of its own."""
        if self._closed:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.run(), name="dashboard-poll")

    async def aclose(self) -> None:
        """Stop polling and end every open stream (a server waits for open responses)."""
        self._closed = True
        for sub in self._subscribers:
            sub.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.control.aclose()

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        sub = Subscription()
        if self._closed:
            sub.close()
        self._subscribers.add(sub)
        try:
            yield sub
        finally:
            self._subscribers.discard(sub)
