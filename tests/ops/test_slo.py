from __future__ import annotations

from polyregion.ops.slo import Gates, evaluate
from polyregion.topology.model import Slo


def test_flags_override_the_topology_and_none_means_no_gate() -> None:
    gates = Gates.resolve(Slo(max_rto_s=120, max_lost_writes=0), max_rto_s=30)
    assert gates == Gates(max_rto_s=30, max_rpo_s=None, max_lost_writes=0)


def test_every_set_gate_is_reported_and_any_failure_fails_the_drill() -> None:
    out = evaluate(Gates(max_rto_s=30, max_lost_writes=0), rto_s=12.5, rpo_s=0, writes_lost=2)
    assert out["max_rto_s"] == {"limit": 30, "actual": 12.5, "passed": True}
    assert out["max_lost_writes"]["passed"] is False
    assert "max_rpo_s" not in out
    assert out["passed"] is False


def test_an_unmeasured_value_fails_its_gate() -> None:
    assert evaluate(Gates(max_rto_s=30), rto_s=None, rpo_s=None, writes_lost=0)["passed"] is False
    assert evaluate(Gates(), rto_s=None, rpo_s=None, writes_lost=None) == {"passed": True}
