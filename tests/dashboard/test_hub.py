from __future__ import annotations

import asyncio
import json

import httpx

from polyregion.dashboard.control import ControlClient
from polyregion.dashboard.hub import Hub
from tests.support.clock import Clock
from tests.support.fake_control import FakeSandbox, control_app


def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


def test_pages_are_woken_only_when_the_view_changes() -> None:
    async def scenario() -> None:
        sandbox = FakeSandbox()
        clock = Clock()
        transport = httpx.ASGITransport(app=control_app(sandbox))
        hub = Hub(ControlClient("http://control", transport=transport), clock=clock)
        try:
            async with hub.subscribe() as page:
                assert await hub.poll_once() is True
                first = json.loads(await page.next())
                assert first["regions"][1]["state"] == "healthy"
                clock.now += 0.5
                assert await hub.poll_once() is False  # same picture: nobody is woken
                sandbox.fault({"action": "kill", "region": "eu-west-1"})
                clock.now += 0.5
                assert await hub.poll_once() is True
                update = json.loads(await page.next())
                assert update["regions"][1]["state"] == "down"
                assert update["locations"][1]["region"] == "us-east-1"
                assert [e["message"] for e in update["events"]] == [
                    "kill eu-west-1",
                    "sandbox started",
                ]
                assert json.loads(hub.heartbeat()) == {"updated_at": 1001.0, "error": None}
        finally:
            await hub.aclose()

    run(scenario())


def test_events_are_fetched_once_each() -> None:
    async def scenario() -> None:
        sandbox = FakeSandbox()
        transport = httpx.ASGITransport(app=control_app(sandbox))
        hub = Hub(ControlClient("http://control", transport=transport))
        try:
            for _ in range(3):
                await hub.poll_once()
            sandbox.emit("dns", "paris now resolves to us-east-1")
            await hub.poll_once()
            await hub.poll_once()
            assert [e["kind"] for e in hub.view()["events"]] == ["dns", "sandbox"]
        finally:
            await hub.aclose()

    run(scenario())


def test_unreachable_control_api_is_reported_and_recovers() -> None:
    async def scenario() -> None:
        sandbox = FakeSandbox()
        up = True

        async def flaky(scope, receive, send):  # type: ignore[no-untyped-def]
            if not up:
                raise httpx.ConnectError("connection refused")
            await control_app(sandbox)(scope, receive, send)

        hub = Hub(ControlClient("http://control", transport=httpx.ASGITransport(app=flaky)))
        try:
            await hub.poll_once()
            assert hub.view()["connected"] is True
            up = False
            assert await hub.poll_once() is True
            view = hub.view()
            assert view["connected"] is False
            assert "is `polyregion up` running?" in view["error"]
            assert view["regions"], "the last known state stays on the page"
            up = True
            await hub.poll_once()
            assert hub.view()["connected"] is True
        finally:
            await hub.aclose()

    run(scenario())


def test_background_polling_starts_once_and_stops() -> None:
    async def scenario() -> None:
        sandbox = FakeSandbox()
        transport = httpx.ASGITransport(app=control_app(sandbox))
        hub = Hub(ControlClient("http://control", transport=transport), interval_s=0.01)
        hub.ensure_started()
        hub.ensure_started()
        await asyncio.sleep(0.1)
        assert hub.view()["updated_at"] is not None
        await hub.aclose()

    run(scenario())
