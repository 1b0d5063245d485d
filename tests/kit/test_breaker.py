from __future__ import annotations

import asyncio

import pytest

from polyregion.kit.breaker import CircuitBreaker, CircuitOpen, RemoteCalls
from tests.support.clock import Clock


def test_opens_after_consecutive_failures_and_half_opens_after_the_cool_down() -> None:
    clock = Clock(0.0)
    b = CircuitBreaker("us-east-1", failures=3, reset_s=5, clock=clock)
    for _ in range(2):
        assert b.allow()
        b.failure()
    b.success()  # a success resets the count: failures must be consecutive
    for _ in range(3):
        assert b.allow()
        b.failure()
    assert b.state == "open" and not b.allow()
    clock.now = 5.0
    assert b.state == "half-open"
    assert b.allow()  # one trial call...
    assert not b.allow()  # ...at a time
    b.failure()  # the trial failed: open again for another cool-down
    assert b.state == "open"
    clock.now = 10.0
    assert b.allow()
    b.success()
    assert b.state == "closed" and b.allow()


def test_a_cancelled_trial_does_not_wedge_the_breaker() -> None:
    clock = Clock(0.0)
    b = CircuitBreaker("r", failures=1, reset_s=1, clock=clock)
    b.failure()
    clock.now = 1.0
    assert b.allow()
    b.abandon()
    assert b.allow()


def test_remote_calls_refuse_fast_while_open() -> None:
    clock = Clock(0.0)
    calls = RemoteCalls(threads=2, failures=2, reset_s=5, slot_wait_s=1, clock=clock)
    attempts = 0

    def down() -> None:
        nonlocal attempts
        attempts += 1
        raise ConnectionError("down")

    async def scenario() -> None:
        for _ in range(2):
            with pytest.raises(ConnectionError):
                await calls.run("us-east-1", down)
        with pytest.raises(CircuitOpen):
            await calls.run("us-east-1", down)
        assert calls.states() == {"us-east-1": "open"}
        assert await calls.run("eu-west-1", lambda: 42) == 42  # breakers are per region
        clock.now = 5.0
        assert await calls.run("us-east-1", lambda: "back") == "back"
        assert calls.available("us-east-1")

    asyncio.run(scenario())
    assert attempts == 2  # the refused call never reached the region
