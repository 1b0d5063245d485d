from __future__ import annotations

from typing import Any

from rich.console import Console

from polyregion.sandbox import render

STATUS: dict[str, Any] = {
    "name": "demo",
    "phase": "running",
    "healthy": True,
    "profile": {
        "label": "fast (not AWS values)",
        "interval_s": 1.0,
        "failure_threshold": 2,
        "ttl_s": 1,
    },
    "regions": [
        {
            "name": "eu-west-1",
            "origin_url": "http://127.0.2.1:8000",
            "aws_endpoint": "http://127.0.2.1:8001",
            "alive": False,
            "faults": {"killed": True, "dependencies": {"dynamodb": "down", "s3": "up"}},
            "health": {
                "healthy": False,
                "status": "unhealthy",
                "inverted": True,
                "checkers": {"us-east-1": {"healthy": False}, "eu-west-1": {"healthy": True}},
            },
        }
    ],
    "locations": [
        {
            "name": "paris",
            "entry_url": "http://127.1.2.1:8000/",
            "subnet": "203.0.113.0/24",
            "dns": {"region": "us-east-1", "ip": "127.0.1.1", "ttl": 1},
            "edge": None,
        }
    ],
    "dns": {"host": "127.0.0.1", "port": 5353},
    "origin_hostname": "origin.example.com",
    "route53_endpoint": "http://127.0.0.1:8002",
    "control_url": "http://127.0.0.1:7600",
    "dashboard_url": None,
    "logs": "/tmp/logs",
}


def test_summary_fits_80_columns_without_cutting_urls() -> None:
    console = Console(width=80, record=True)
    console.print(render.summary(STATUS))
    text = console.export_text()
    assert "http://127.1.2.1:8000/" in text  # the URL people copy is never truncated
    assert "http://127.0.2.1:8000" in text
    assert "0/1 regions healthy" in text  # the header follows the regions, not startup
    for word in ("unhealthy 1/2", "inverted", "killed", "dynamodb"):
        assert word in text
    assert "dig @127.0.0.1 -p 5353 origin.example.com +subnet=203.0.113.0/24" in text


def test_event_line() -> None:
    console = Console(width=120, record=True)
    event = {"time": 0.0, "kind": "dns", "message": "paris: origin.example.com now answers x"}
    console.print(render.event_line(event))
    text = console.export_text()  # export clears the record
    assert " dns " in text and "paris" in text
