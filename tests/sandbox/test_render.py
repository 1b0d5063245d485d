from __future__ import annotations

from rich.console import Console

from polyregion.sandbox import render
from polyregion.sandbox.status_types import SandboxStatus
from tests.support.fake_control import FakeSandbox


def status() -> SandboxStatus:
    """The fake's typed status, with one region killed, inverted and its DynamoDB down."""
    s = FakeSandbox().status()
    s["name"], s["dashboard_url"] = "demo", None
    eu = s["regions"][1]
    eu["alive"], eu["faults"] = False, {"killed": True, "dependencies": {"dynamodb": "down"}}
    health = eu["health"]
    assert health is not None
    health["healthy"], health["status"], health["inverted"] = False, "unhealthy", True
    health["checkers"] = {
        c: {**v, "healthy": i == 0} for i, (c, v) in enumerate(list(health["checkers"].items())[:2])
    }
    s["regions"] = [eu]
    s["locations"] = [s["locations"][1]]
    paris = s["locations"][0]
    paris["edge"] = None
    assert paris["dns"] is not None
    paris["dns"]["region"], paris["dns"]["ip"] = "us-east-1", "127.0.1.1"
    s["children"][0]["restarts"] = 3
    s["replication"] = {}  # the replicator's own tables are tested in tests/replication
    return s


def test_summary_fits_80_columns_without_cutting_urls() -> None:
    console = Console(width=80, record=True)
    console.print(render.summary(status()))
    text = console.export_text()
    assert "http://127.1.2.1:8000/" in text  # the URL people copy is never truncated
    assert "http://127.0.2.1:8000" in text
    assert "0/1 regions healthy" in text  # the header follows the regions, not startup
    for word in ("unhealthy 1/2", "inverted", "killed", "dynamodb"):
        assert word in text
    assert "dig @127.0.0.1 -p 5353 origin.example.com +subnet=203.0.113.0/24" in text
    assert "Restarts: app:us-east-1 3" in text  # the supervision's restarts are shown


def test_event_line() -> None:
    console = Console(width=120, record=True)
    event = {"time": 0.0, "kind": "dns", "message": "paris: origin.example.com now answers x"}
    console.print(render.event_line(event))
    text = console.export_text()  # export clears the record
    assert " dns " in text and "paris" in text
