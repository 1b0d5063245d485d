"""The replication part of `polyregion status` (human form): lag and backlog per pair."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def lag_table(replication: dict[str, Any]) -> Table:
    cut = {tuple(p) for p in replication.get("partitions", [])}
    table = Table(
        "from -> to", "injected", "p50", "p99", "max", "backlog", "superseded", title="Replication"
    )
    for p in replication.get("pairs", []):
        partitioned = tuple(sorted((p["source"], p["destination"]))) in cut
        table.add_row(
            f"{p['source']} -> {p['destination']}"
            + (" [red](partitioned)[/]" if partitioned else ""),
            f"{p['injected_delay_ms']:g} ms",
            f"{p['p50_ms']:g} ms",
            f"{p['p99_ms']:g} ms",
            f"{p['max_ms']:g} ms",
            f"[yellow]{p['backlog']}[/]" if p["backlog"] else "0",
            str(p["superseded"]),
        )
    return table


def streams_table(replication: dict[str, Any], now: float | None = None) -> Table:
    """Per source stream: records read, when the last one was read, and a read failure."""
    import time

    now = time.time() if now is None else now
    table = Table("stream", "read", "last record", "read error", title="Streams")
    for region, s in sorted((replication.get("streams") or {}).items()):
        last = s.get("last_record_at")
        error = s.get("error")
        since = s.get("error_since")
        table.add_row(
            region,
            str(s.get("read", 0)),
            "never" if last is None else f"{max(0.0, now - last):.1f} s ago",
            "-" if not error else f"[red]{error}[/] (for {max(0.0, now - (since or now)):.0f} s)",
        )
    return table
