"""The replicator's control API refuses DNS-rebinding requests (a Host that is not loopback)."""

from __future__ import annotations

from typing import Any

import httpx

from polyregion.replication.control import ControlServer


class Target:
    def __init__(self) -> None:
        self.partitions: list[tuple[str, str]] = []

    def status(self) -> dict[str, Any]:
        return {"partitions": [list(p) for p in self.partitions]}

    def events_since(self, seq: int) -> list[dict[str, Any]]:
        return []

    def partition(self, a: str, b: str) -> None:
        self.partitions.append((a, b))

    def heal(self, a: str | None, b: str | None) -> None:
        self.partitions.clear()

    def region_names(self) -> tuple[str, ...]:
        return ("us-east-1", "eu-west-1")


def test_non_loopback_host_is_refused_and_changes_nothing() -> None:
    target = Target()
    server = ControlServer(target, "127.0.0.1", 0)
    server.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", trust_env=False) as http:
            pair = {"a": "us-east-1", "b": "eu-west-1"}
            rebound = http.post("/partition", json=pair, headers={"host": "attacker.example"})
            assert rebound.status_code == 421
            assert "loopback" in rebound.json()["error"]
            assert http.get("/status", headers={"host": "attacker.example"}).status_code == 421
            assert target.partitions == []
            assert http.post("/partition", json=pair).status_code == 200
            assert http.get("/status", headers={"host": "localhost"}).status_code == 200
        assert target.partitions == [("us-east-1", "eu-west-1")]
    finally:
        server.stop()


def test_a_web_page_cannot_partition_or_heal() -> None:
    """Issue 15, item 5: a cross-site `text/plain` POST (a form or no-cors fetch) arrives with
    an Origin header and without a JSON content type: both are refused, nothing changes."""
    target = Target()
    server = ControlServer(target, "127.0.0.1", 0)
    server.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", trust_env=False) as http:
            body = b'{"a": "us-east-1", "b": "eu-west-1"}'
            plain = http.post("/partition", content=body, headers={"content-type": "text/plain"})
            assert plain.status_code == 415
            page = {"content-type": "application/json", "origin": "https://evil.example"}
            assert http.post("/partition", content=body, headers=page).status_code == 403
            assert (
                http.get("/status", headers={"origin": "https://evil.example"}).status_code == 403
            )
            assert target.partitions == []
            ok = http.post("/partition", content=body, headers={"content-type": "application/json"})
            assert ok.status_code == 200
        assert target.partitions == [("us-east-1", "eu-west-1")]
    finally:
        server.stop()
