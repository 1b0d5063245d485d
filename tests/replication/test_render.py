from __future__ import annotations

from rich.console import Console

from polyregion.replication.render import lag_table, streams_table


def test_lag_table_shows_pairs_backlog_and_partitions() -> None:
    pair = {
        "source": "us-east-1", "destination": "eu-west-1", "injected_delay_ms": 87.0,
        "p50_ms": 95.5, "p99_ms": 140.0, "max_ms": 151.0, "backlog": 3, "superseded": 1,
    }  # fmt: skip
    console = Console(width=160, record=True)
    console.print(lag_table({"pairs": [pair], "partitions": [["eu-west-1", "us-east-1"]]}))
    text = console.export_text()
    assert "us-east-1 -> eu-west-1 (partitioned)" in text
    assert "95.5 ms" in text and "140 ms" in text and " 3 " in text


def test_streams_table_shows_last_record_and_a_current_read_error() -> None:
    streams = {
        "us-east-1": {"read": 7, "last_record_at": 990.0, "error": None},
        "eu-west-1": {
            "read": 0, "last_record_at": None,
            "error": "ClientError: ServiceUnavailable", "error_since": 960.0,
        },
    }  # fmt: skip
    console = Console(width=160, record=True)
    console.print(streams_table({"streams": streams}, now=1000.0))
    text = console.export_text()
    assert "10.0 s ago" in text and "never" in text
    assert "ClientError: ServiceUnavailable (for 40 s)" in text
