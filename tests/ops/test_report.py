from __future__ import annotations

import json
from pathlib import Path

import pytest

from polyregion.ops import report
from polyregion.ops.result import DrillResult
from tests.ops.fakes import region_outage_run

CONTRACT = (
    "scenario",
    "target",
    "rto_s",
    "rpo_s",
    "requests_total",
    "requests_failed",
    "writes_acked",
    "writes_lost",
    "locations",
    "events",
    "slo",
    "rolled_back",
)


@pytest.fixture(scope="module")
def result() -> DrillResult:
    return region_outage_run()


def test_json_has_every_contract_field_and_is_serializable(result: DrillResult) -> None:
    doc = json.loads(json.dumps(report.to_json(result)))
    for key in CONTRACT:
        assert key in doc, key
    assert doc["scenario"] == "region-outage" and doc["target"] == "fake"
    assert doc["rolled_back"] is True
    assert doc["slo"]["passed"] is True and doc["slo"]["max_rto_s"]["limit"] == 30
    ny = doc["locations"][0]
    assert ny["name"] == "new-york" and ny["rto_s"] == pytest.approx(result.rto_s, abs=1e-3)
    for key in ("rto_s", "recovered_at", "dns_change_at", "first_failure_at", "t_recovered_s"):
        assert key in ny
    assert {e["kind"] for e in doc["events"]} >= {"fault", "health-flip", "dns-change", "rollback"}


def test_json_follows_the_chaos_toolkit_journal_shape(result: DrillResult) -> None:
    doc = report.to_json(result)
    exp = doc["experiment"]
    assert exp["steady-state-hypothesis"]["probes"]
    assert [a["name"] for a in exp["method"]] == ["fake.kill"]
    assert [a["name"] for a in exp["rollbacks"]] == ["fake.revive"]
    assert doc["status"] == "completed" and doc["deviated"] is False
    assert doc["run"][0]["status"] == "succeeded"
    assert doc["rollbacks"][0]["activity"]["name"] == "fake.revive"
    assert doc["steady_states"]["before"]["steady_state_met"] is True


def test_report_dir_gets_json_markdown_and_a_png_chart(result: DrillResult, tmp_path: Path) -> None:
    paths = report.write(result, tmp_path / "out")
    assert json.loads(paths["json"].read_text())["scenario"] == "region-outage"
    md = paths["markdown"].read_text()
    assert "RTO (overall)" in md and "new-york" in md and "![timeline](timeline.png)" in md
    assert "`fake kill us-east-1`" in md
    assert paths["chart"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths["chart"].stat().st_size > 10_000  # a real plot, not an empty canvas
