"""The failover bound: one formula, and every place that shows a bound computes it here."""

from __future__ import annotations

from polyregion.ops.scenarios import Timing
from polyregion.sandbox.profile import FAST, aws_profile, to_json
from polyregion.topology.failover import FORMULA, FailoverBound
from polyregion.topology.load import from_dict


def test_the_formula_with_its_values() -> None:
    b = FailoverBound(interval_s=30, failure_threshold=3, probe_timeout_s=6, ttl_s=60)
    assert b.detection_s == 96 and b.total_s == 156
    assert b.explain() == "30 s x 3 + 6 s + 60 s = 156 s"
    assert FORMULA == "interval x threshold + probe timeout + TTL"


def test_sandbox_status_drills_and_aws_agree_on_the_bound() -> None:
    topo = from_dict({})
    # the sandbox's profiles (status, dashboard)...
    assert FAST.failover_bound_s == 5.5 and to_json(FAST)["failover_bound_s"] == 5.5
    assert aws_profile(topo).failover_bound_s == 156
    # ...and the drills' timing, on either target
    fast = to_json(FAST)
    probe = fast["connect_timeout_s"] + fast["response_timeout_s"]
    assert Timing(1.0, 2, 1.0, probe).bound.explain() == FAST.bound.explain()
    assert Timing.of(topo).bound_s == aws_profile(topo).failover_bound_s
