"""The control API contract, against a fake supervisor (the real one is in test_supervisor)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from polyregion.errors import SandboxError
from polyregion.sandbox.client import SandboxClient
from polyregion.sandbox.control import create_app
from polyregion.sandbox.events import Event, EventLog
from polyregion.sandbox.faults import Fault, parse
from tests.support.moto import free_port


class FakeSupervisor:
    def __init__(self) -> None:
        self.events = EventLog()
        self.applied: list[Fault] = []

    def status(self) -> dict[str, Any]:
        return {"regions": [], "healthy": True}

    def parse_fault(self, data: object) -> Fault:
        return parse(data, ["us-east-1", "eu-west-1"])

    async def apply_fault(self, fault: Fault) -> list[Event]:
        if fault.action == "partition":
            raise SandboxError("partition needs the replicator")
        self.applied.append(fault)
        return [self.events.emit("fault", fault.command)]


@pytest.fixture
def served() -> Iterator[tuple[FakeSupervisor, str]]:
    """The control app on a real loopback socket (uvicorn in a thread), always stopped."""
    sv = FakeSupervisor()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(sv), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        yield sv, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def test_status_events_and_posting_events(served: tuple[FakeSupervisor, str]) -> None:
    sv, url = served
    c = SandboxClient(url)
    assert c.status()["healthy"] is True
    sv.events.emit("sandbox", "started")
    posted = c.post_event("drill", "fault injected", region="eu-west-1", detail={"step": 2})
    events = c.events(since=0)
    assert [e["kind"] for e in events] == ["sandbox", "drill"]
    assert events[1]["detail"] == {"step": 2, "source": "external"}
    assert posted["seq"] == 2
    assert c.events(since=2) == []


def test_fault_round_trip_and_errors(served: tuple[FakeSupervisor, str]) -> None:
    sv, url = served
    c = SandboxClient(url)
    result = c.kill("eu-west-1")
    assert result["fault"]["command"] == "polyregion fault kill eu-west-1"
    assert result["events"][0]["kind"] == "fault"
    assert sv.applied == [Fault("kill", "eu-west-1")]
    for bad, needle in (
        ((lambda: c.kill("mars-1")), "mars-1"),
        (
            (lambda: c.partition("us-east-1", "eu-west-1")),
            "replicator",
        ),
    ):
        try:
            bad()
        except SandboxError as exc:
            assert needle in str(exc)
        else:
            raise AssertionError("expected a SandboxError")


def test_state_changes_need_json_content_type(served: tuple[FakeSupervisor, str]) -> None:
    sv, url = served
    http = httpx.Client(base_url=url)
    # What a cross-origin page could send without a preflight: refused.
    r = http.post("/fault", content='{"action": "heal"}', headers={"content-type": "text/plain"})
    assert r.status_code == 415
    assert sv.applied == []
    assert (
        http.post("/fault", content="{", headers={"content-type": "application/json"}).status_code
        == 400
    )
    assert http.get("/events?since=abc").status_code == 400


def test_client_says_when_nothing_runs() -> None:
    c = SandboxClient("http://127.0.0.1:9", timeout_s=0.5)
    try:
        c.status()
    except SandboxError as exc:
        assert "polyregion up" in str(exc)
    else:
        raise AssertionError("expected a SandboxError")
    assert c.is_running() is False


def test_dns_rebinding_hosts_are_refused(served: tuple[FakeSupervisor, str]) -> None:
    """A rebinding page is same-origin to the browser (no preflight): only Host gives it away."""
    sv, url = served
    http = httpx.Client(base_url=url)
    rebound = {"host": "attacker.example:8003", "content-type": "application/json"}
    r = http.post("/fault", content='{"action": "heal"}', headers=rebound)
    assert r.status_code == 421
    assert "loopback" in r.json()["error"]
    assert http.get("/status", headers={"host": "attacker.example"}).status_code == 421
    assert sv.applied == []
    # Loopback names keep working: the CLI and the drills use 127.0.0.1, people localhost.
    for host in ("127.0.0.1:8003", "localhost:8003", "[::1]:8003"):
        assert http.get("/status", headers={"host": host}).status_code == 200
    ok = http.post("/fault", json={"action": "heal"}, headers={"host": "localhost"})
    assert ok.status_code == 200, ok.text
    assert [f.action for f in sv.applied] == ["heal"]


def _raw_post(url: str, head: str, body: bytes) -> bytes:
    """Send a request head and part of a body over a raw socket; the answer or b"" on timeout."""
    import socket

    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=3) as s:
        s.sendall(head.encode() + body)
        try:
            return s.recv(4096)
        except TimeoutError:
            return b""


def test_a_large_body_is_refused_before_it_is_read(served: tuple[FakeSupervisor, str]) -> None:
    """Issue 15, item 12: a 200 MB body was read whole before being refused; now a declared
    length over the cap is refused at once, and a chunked body as soon as it passes the cap."""
    sv, url = served
    declared = _raw_post(
        url,
        "POST /fault HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        f"content-length: {200 * 1024 * 1024}\r\n\r\n",
        b"{" * 1024,
    )
    assert declared.startswith(b"HTTP/1.1 413"), declared[:100]
    chunk = b"{" * 8192
    chunked = _raw_post(
        url,
        "POST /events HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        "transfer-encoding: chunked\r\n\r\n",
        (b"2000\r\n" + chunk + b"\r\n") * 9,  # 72 KiB sent, the stream never ends
    )
    assert chunked.startswith(b"HTTP/1.1 413"), chunked[:100]
    assert sv.applied == []


def test_a_web_page_is_refused_even_with_json(served: tuple[FakeSupervisor, str]) -> None:
    sv, url = served
    with httpx.Client(base_url=url, trust_env=False) as http:
        page = {"origin": "https://evil.example"}
        kill = {"action": "kill", "region": "eu-west-1"}
        assert http.post("/fault", json=kill, headers=page).status_code == 403
        assert http.get("/status", headers=page).status_code == 403
    assert sv.applied == []
