"""How `drill` and `lag` look on a terminal: readable at 80 columns without losing a figure.

The tables carry units in their headers (cells are bare numbers), put a region and where it
went in one column on two lines (`from` over `-> to`), draw no vertical lines, and fold
rather than cut any cell that still does not fit: rich's default ends a cell with "..." and
loses the rest of the figure.
The JSON outputs are built elsewhere (report.py, lag.py) and do not change with the layout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from polyregion.ops.report import replication_rows
from polyregion.ops.verify import Rule


def _s(x: float | None) -> str:
    """Seconds, 2 decimals (the unit is in the header or next to it)."""
    return "-" if x is None else f"{x:.2f}"


def _n(x: Any) -> str:
    return "-" if x is None else str(x)  # as in the JSON: no figure rounded away


def _table(title: str, caption: str) -> Table:
    # One rule under the header, no vertical lines or outer padding, one space between a
    # column's padding and the next: box drawing would eat the width that figures need.
    return Table(
        title=title,
        caption=caption,
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
        caption_justify="left",
    )


def _column(table: Table, header: str, *, number: bool = False, min_width: int = 0) -> None:
    # Figures never wrap, so rich narrows the text columns (folding them) to fit.
    table.add_column(
        header,
        justify="right" if number else "left",
        overflow="fold",
        no_wrap=number,
        min_width=min_width or None,
    )


def _pair(src: str, dst: list[str]) -> str:
    """A region and where it went, one region per line: `src` over `-> dst[0]`, ..."""
    return "\n".join(
        [src, *(f"{'->' if i == 0 else '  '} {d}" for i, d in enumerate(dst or ["-"]))]
    )


def _width(cells: list[str]) -> int:
    return max((len(line) for cell in cells for line in cell.splitlines()), default=0)


def drill_summary(doc: Mapping[str, Any]) -> Group:
    """The drill's per-location table and its totals, from the report JSON (report.to_json)."""
    table = _table(
        f"{doc['scenario']} on {doc['target']} ({doc['status']})",
        "times in seconds after the fault",
    )
    regions = [_pair(str(loc["baseline_region"]), loc["final_regions"]) for loc in doc["locations"]]
    _column(table, "location")
    _column(table, "steady\n-> now", min_width=_width(regions))
    for header in ("DNS\nchange s", "recovered\ns", "RTO s", "failed\n/ sent"):
        _column(table, header, number=True)
    for loc, region in zip(doc["locations"], regions, strict=True):
        table.add_row(
            loc["name"],
            region,
            _s(loc["t_dns_change_s"]),
            _s(loc["t_recovered_s"]),
            _s(loc["rto_s"]),
            f"{loc['requests_failed']}/{loc['requests_total']}",
        )
    # Label and figure side by side in a grid: wrapped prose could part them.
    totals = Table.grid(padding=(0, 2))
    for _ in range(2):
        totals.add_column(no_wrap=True)
        totals.add_column(overflow="fold")
    totals.add_row(
        "RTO",
        f"{_s(doc['rto_s'])} s (bound {doc['bound_s']:g} s)",
        "writes acked",
        _n(doc["writes_acked"]),
    )
    measured = doc.get("writes_measured", True)
    totals.add_row(
        "RPO",
        f"{_s(doc['rpo_s'])} s",
        "writes lost",
        _n(doc["writes_lost"]) if measured else "not measured",
    )
    totals.add_row(
        "health flip", f"{_s(doc['t_health_flip_s'])} s", "failback", f"{_s(doc['failback_s'])} s"
    )
    totals.add_row(
        "rollback",
        f"{_s(doc.get('t_rollback_s'))} s, took {_s(doc.get('rollback_s'))} s",
        "converged",
        f"{_s(doc['convergence_s'])} s",
    )
    totals.add_row("rolled back", "yes" if doc["rolled_back"] else "[red]NO[/]", "", "")
    gates = ", ".join(
        f"{k} {v['actual']} <= {v['limit']}: {'pass' if v['passed'] else 'FAIL'}"
        for k, v in doc["slo"].items()
        if k != "passed"
    )
    verdict = "[green]passed[/]" if doc["slo"]["passed"] else "[red]FAILED[/]"
    slo = Text.from_markup(f"SLO {verdict}" + (f" ({gates})" if gates else ""))
    parts: list[RenderableType] = [table, Text(), totals]
    rows = replication_rows(dict(doc))
    if rows:
        parts.append(_replication(rows))
    if doc.get("bound"):
        parts.append(Text(f"failover bound: {doc.get('bound_formula')} = {doc['bound']}"))
    if doc.get("availability_only"):
        parts.append(Text(doc["availability_only"], style="yellow"))
    parts.append(slo)
    return Group(*parts)


def _split(pair: str) -> tuple[str, list[str]]:
    src, _, dst = pair.partition(" -> ")
    return src, [dst]


def _replication(rows: list[tuple[str, int, float | None]]) -> Table:
    """Divergence per ordered pair at the rollback, and when each side converged after it."""
    table = _table(
        "replication", "missing = acknowledged in from, absent in to just before the rollback"
    )
    pairs = [_pair(*_split(pair)) for pair, _, _ in rows]
    _column(table, "from\n-> to", min_width=_width(pairs))
    _column(table, "missing", number=True)
    _column(table, "converged\ns after rollback", number=True)
    for (_, n, conv), pair in zip(rows, pairs, strict=True):
        table.add_row(pair, str(n), _s(conv))
    return table


def lag_table(result: Mapping[str, Any]) -> Group:
    """`lag`'s percentiles per kind and ordered region pair, from its JSON (lag.measure_lag)."""
    table = _table(
        f"replication lag on {result['target']} (poll {result['poll_ms']:g} ms)",
        "n = markers seen; not seen = markers still missing at the end",
    )
    pairs = [_pair(r["from"], [r["to"]]) for r in result["pairs"]]
    _column(table, "kind")
    _column(table, "from\n-> to", min_width=_width(pairs))
    for header in ("n", "p50 ms", "p90 ms", "p99 ms", "max ms", "not\nseen"):
        _column(table, header, number=True)
    for r, pair in zip(result["pairs"], pairs, strict=True):
        table.add_row(
            r["kind"] + (f"\n{r['resource']}" if r.get("resource") else ""),
            pair,
            _n(r["n"]),
            _n(r["p50_ms"]),
            _n(r["p90_ms"]),
            _n(r["p99_ms"]),
            _n(r["max_ms"]),
            _n(r["not_seen"]),
        )
    lines: list[RenderableType] = [table]
    if result.get("injected_delay_ms") is not None:
        lines.append(Text(f"injected delay: {result['injected_delay_ms']:g} ms"))
    if result.get("cloudwatch"):
        lines.append(_cloudwatch(result["cloudwatch"]))
    return Group(*lines)


def _cloudwatch(rows: list[Mapping[str, Any]]) -> Table:
    """AWS's own ReplicationLatency per ordered pair, next to what the markers measured."""
    table = _table("CloudWatch ReplicationLatency", "AWS/DynamoDB, last 15 minutes")
    pairs = [_pair(r["from"], [r["to"]]) for r in rows]
    _column(table, "from\n-> to", min_width=_width(pairs))
    _column(table, "avg ms", number=True)
    _column(table, "max ms", number=True)
    for r, pair in zip(rows, pairs, strict=True):
        table.add_row(pair, _n(r["avg_ms"]), _n(r["max_ms"]))
    return table


def verify_table(rules: Sequence[Rule]) -> Group:
    """`verify`: one row per rule (pass / FAIL / skip) and, under it, the fix of each failure."""
    table = _table("polyregion verify", "docs/your-app.md explains each rule")
    _column(table, "rule")
    _column(table, "result")
    _column(table, "detail")
    style = {"pass": "[green]pass[/]", "fail": "[red]FAIL[/]", "skip": "[yellow]skip[/]"}
    for r in rules:
        table.add_row(r.name, Text.from_markup(style[r.verdict]), Text(r.detail))
    parts: list[RenderableType] = [table]
    for r in rules:
        if r.verdict == "fail":
            parts.append(Text(f"fix {r.name}: {r.fix}"))
    n = sum(r.verdict == "fail" for r in rules)
    parts.append(Text.from_markup("[green]all rules passed[/]" if not n else f"[red]{n} failed[/]"))
    return Group(*parts)
