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
