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
