"""`drill` and `lag` tables on an 80-column terminal: every figure whole, nothing cut."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rich.console import Console, RenderableType

from polyregion.ops import lag, render, report
from tests.ops.fakes import region_outage_run

# The longest AWS region names: the widest cells a real run prints.
LONG_A, LONG_B = "ap-southeast-2", "ap-northeast-1"


def at_80(renderable: RenderableType) -> str:
    console = Console(width=80, record=True)
    console.print(renderable)
    text = console.export_text()
    assert "…" not in text  # rich's mark of a cut cell
    assert all(len(line) <= 80 for line in text.splitlines())
    return text


def assert_whole(text: str, figure: str) -> None:
    """`figure` appears on one line, not glued to other digits (so not a piece of another)."""
    assert re.search(rf"(?<![\d.]){re.escape(figure)}(?![\d.])", text), figure


@pytest.fixture(scope="module")
def drill_doc() -> dict[str, Any]:
    """A real report (fake target), then made as wide as a long real drill would make it."""
    doc = report.to_json(region_outage_run())
    first, *others = doc["locations"]
    first.update(
        name="sao-paulo",
        baseline_region=LONG_A,
        final_regions=[LONG_A, LONG_B, "eu-west-1"],
        t_dns_change_s=151.234,
        t_recovered_s=1234.567,
        rto_s=1234.567,
        requests_failed=12345,
        requests_total=1234567,
    )
    for loc in others:
        loc.update(baseline_region=LONG_B, t_dns_change_s=None, rto_s=98.765)
    return doc


def test_drill_summary_keeps_every_figure_at_80_columns(drill_doc: dict[str, Any]) -> None:
    text = at_80(render.drill_summary(drill_doc))
    for loc in drill_doc["locations"]:
        assert loc["name"] in text
        for region in (loc["baseline_region"], *loc["final_regions"]):
            assert region in text
        for t in (loc["t_dns_change_s"], loc["t_recovered_s"], loc["rto_s"]):
            assert_whole(text, "-" if t is None else f"{t:.2f}")
        assert f"{loc['requests_failed']}/{loc['requests_total']}" in text
    assert "1234.57" in text and "151.23" in text  # the figures a cut would lose first
    for label, key in (
        ("RTO", "rto_s"),
        ("RPO", "rpo_s"),
        ("health flip", "t_health_flip_s"),
        ("failback", "failback_s"),
    ):
        assert re.search(rf"{label} +{drill_doc[key]:.2f} s", text), label
    for label, key in (("writes acked", "writes_acked"), ("writes lost", "writes_lost")):
        assert re.search(rf"{label} +{drill_doc[key]}\b", text), label
    assert re.search(r"rolled back +yes", text)
    assert "times in seconds after the fault" in text
    assert "SLO passed" in text


def test_lag_table_keeps_every_figure_at_80_columns() -> None:
    slow = [s / 10 for s in range(1, 21)] + [123.4565]  # up to two minutes behind
    pairs = [
        {"kind": "items", "from": "us-east-1", "to": LONG_A, "not_seen": 0, **lag.stats(slow)},
        {"kind": "objects", "from": LONG_A, "to": LONG_B, "not_seen": 12, **lag.stats(slow)},
        {"kind": "secrets", "from": LONG_B, "to": "eu-west-1", "not_seen": 1, **lag.stats([])},
    ]
    result = {
        "target": "aws",
        "samples": 21,
        "poll_ms": 100.0,
        "injected_delay_ms": 300.0,
        "pairs": pairs,
        "cloudwatch": [
            {"from": "us-east-1", "to": LONG_A, "avg_ms": 812.5, "max_ms": 1234.0},
            {"from": LONG_A, "to": "us-east-1", "avg_ms": None, "max_ms": None},
        ],
    }
    text = at_80(render.lag_table(result))
    assert pairs[0]["max_ms"] == 123456.5
    for row in pairs:
        assert row["kind"] in text and row["from"] in text and f"-> {row['to']}" in text
        for key in ("n", "p50_ms", "p90_ms", "p99_ms", "max_ms", "not_seen"):
            assert_whole(text, "-" if row[key] is None else str(row[key]))
    for header in ("p50 ms", "p99 ms", "max ms"):
        assert header in text  # the unit is in the header, the cells are bare numbers
    assert "injected delay: 300 ms" in text
    assert "CloudWatch ReplicationLatency" in text
    for figure in ("812.5", "1234.0"):
        assert_whole(text, figure)


def test_partition_divergence_and_convergence_are_on_the_terminal(
    drill_doc: dict[str, Any],
) -> None:
    doc = {
        **drill_doc,
        "divergence_at_rollback": {f"{LONG_A} -> {LONG_B}": 123, f"{LONG_B} -> {LONG_A}": 45},
        "region_convergence_s": {LONG_A: 1.234, LONG_B: 56.789},
    }
    text = at_80(render.drill_summary(doc))
    for figure in ("123", "45", "56.79", "1.23"):
        assert_whole(text, figure)
    assert "interval x threshold + probe timeout + TTL" in text


def test_an_availability_only_drill_says_so_on_the_terminal(drill_doc: dict[str, Any]) -> None:
    doc = {**drill_doc, "writes_measured": False, "availability_only": "availability only: x"}
    text = at_80(render.drill_summary(doc))
    assert "availability only" in text and "not measured" in text
