"""`python -m polyregion.dashboard` as a real process: the live stream, and a quick stop.

The control API here is the fake (tests/support/fake_control.py) served by uvicorn in a
thread; the dashboard against the real sandbox is tested in test_browser.py.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from tests.support.fake_control import FakeSandbox, control_app
from tests.support.moto import free_port

pytestmark = pytest.mark.functional


@pytest.fixture
def fake() -> Iterator[tuple[FakeSandbox, str]]:
    sandbox = FakeSandbox()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(control_app(sandbox), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.01)
        yield sandbox, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def start_dashboard(control_url: str, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "polyregion.dashboard",
            "--control-url",
            control_url,
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.fixture
def dashboard(fake: tuple[FakeSandbox, str]) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    proc = start_dashboard(fake[1], port)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "the dashboard did not start in 20 s"
            time.sleep(0.05)
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout:
            proc.stdout.close()


def states(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """`state` events of an SSE stream, decoded."""
    event = None
    for line in lines:
        if line.startswith("event: "):
            event = line[len("event: ") :]
        elif line.startswith("data: ") and event == "state":
            yield json.loads(line[len("data: ") :])


def test_stream_pushes_changes_and_stops_quickly(
    fake: tuple[FakeSandbox, str], dashboard: tuple[subprocess.Popen[bytes], str]
) -> None:
    sandbox, _ = fake
    proc, url = dashboard
    with httpx.stream("GET", f"{url}/api/stream", timeout=10) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = states(response.iter_lines())
        first = next(stream)
        assert [r["state"] for r in first["regions"]] == ["healthy", "healthy"]
        started = time.monotonic()
        sandbox.fault({"action": "kill", "region": "eu-west-1"})
        # Other changes may come first (a new point on the lag chart every 2 s).
        update = next(u for u in stream if u["regions"][1]["state"] != "healthy")
        pushed_s = time.monotonic() - started
        assert update["regions"][1]["state"] == "down"
        assert update["locations"][1]["traffic_region"] == "us-east-1"
        assert pushed_s < 3.0, f"the change took {pushed_s:.1f} s to arrive (polls every 0.5 s)"
        # Stop it with the stream still open: the open response must not hold the exit.
        stop = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        assert time.monotonic() - stop < 5.0
    # uvicorn re-raises the signal it stopped on once it is done, as a plain process would.
    assert proc.returncode in (0, -signal.SIGTERM)


def test_port_in_use_exits_with_an_error(
    fake: tuple[FakeSandbox, str], dashboard: tuple[subprocess.Popen[bytes], str]
) -> None:
    taken = int(dashboard[1].rsplit(":", 1)[1])
    second = start_dashboard(fake[1], taken)
    try:
        output, _ = second.communicate(timeout=20)
    finally:
        if second.poll() is None:
            second.kill()
            second.wait()
    assert second.returncode != 0
    assert b"address already in use" in output.lower()


def test_dashboard_refuses_a_non_loopback_host() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "polyregion.cli",
            "dashboard",
            "--control-url",
            "http://127.0.0.1:1",
            "--port",
            "1",
            "--host",
            "0.0.0.0",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "loopback only" in result.stderr


def test_dashboard_refuses_a_non_loopback_control_url() -> None:
    """It polls the control URL every half second: only loopback is ever a destination."""
    for url in ("http://192.0.2.10:8003", "http://127.attacker.example:8003"):
        result = subprocess.run(
            [sys.executable, "-m", "polyregion.cli", "dashboard", "--control-url", url],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert result.returncode == 2, url
        assert "--control-url" in result.stderr and "loopback" in result.stderr
