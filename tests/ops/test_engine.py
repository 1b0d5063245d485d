from __future__ import annotations

import pytest

from polyregion.ops import report
from polyregion.ops.engine import Drill, plan_drill
from polyregion.ops.scenarios import SCENARIOS, Fault, FaultKind
from polyregion.ops.settings import DrillSettings
from polyregion.ops.slo import Gates
from tests.ops.fakes import Clock, FakeTarget

SETTINGS = DrillSettings(
    tick_s=0.1,
    steady_s=1.0,
    window_s=1.0,
    observe_timeout_s=20,
    hold_s=2.0,
    failback_timeout_s=20,
    convergence_timeout_s=5,
)


def drill(target: FakeTarget, scenario: str, fault: Fault, gates: Gates | None = None) -> Drill:
    plan = plan_drill(
        target, SCENARIOS[scenario], fault, gates or Gates(max_lost_writes=0), SETTINGS
    )
    return Drill(target, plan, clock=target.clock, sleep=target.clock.sleep, run_id="t")


def test_region_outage_recovers_within_the_bound_and_rolls_back() -> None:
    target = FakeTarget(Clock())
    result = drill(target, "region-outage", Fault(FaultKind.KILL, "us-east-1")).run()
    assert result.status == "completed"
    assert result.rolled_back
    assert target.executed == ["fake.kill", "fake.revive"]
    bound = target.timing().bound_s  # 1 x 2 + 1 = 3 s
    ny, paris = result.locations
    assert ny.baseline_region == "us-east-1"
    assert ny.final_regions == ("eu-west-1",)
    assert ny.rto_s is not None and 2.0 <= ny.rto_s <= bound + 2 * SETTINGS.tick_s
    assert paris.rto_s == 0.0 and paris.failed == 0  # Paris never used the dead region
    assert result.rto_s == ny.rto_s
    assert result.health_flip_at is not None
    assert result.health_flip_at - result.marks.fault == pytest.approx(2.0, abs=0.15)
    assert ny.dns_change_at is not None and ny.dns_change_at <= ny.recovered_at  # type: ignore[operator]
    assert result.writes_acked > 0 and result.writes_lost == 0
    assert result.failback_s is not None and result.failback_s <= bound + 1
    assert result.slo["passed"] and result.exit_code == 0


def test_unreplicated_writes_of_a_dead_region_are_lost_and_give_an_rpo() -> None:
    target = FakeTarget(Clock(), replication_delay_s=0.5, lose_on_kill=True)
    result = drill(target, "region-outage", Fault(FaultKind.KILL, "us-east-1")).run()
    assert result.writes_lost and result.writes_lost > 0
    assert result.rpo_s is not None and 0 < result.rpo_s <= 0.6
    assert (
        not result.slo["passed"] and result.slo["max_lost_writes"]["actual"] == result.writes_lost
    )
    assert result.exit_code == 1


def test_health_inversion_evacuates_without_losing_writes() -> None:
    target = FakeTarget(Clock())
    result = drill(target, "health-inversion", Fault(FaultKind.INVERT, "us-east-1")).run()
    assert result.writes_lost == 0 and result.rolled_back
    assert result.locations[0].final_regions == ("eu-west-1",)


def test_partition_converges_after_heal_with_zero_lost_writes() -> None:
    target = FakeTarget(Clock())
    result = drill(
        target, "partition", Fault(FaultKind.PARTITION, "us-east-1", peer="eu-west-1")
    ).run()
    assert result.rto_s == 0.0 and result.requests_failed == 0
    assert result.writes_lost == 0 and result.convergence_s is not None
    assert result.missing_by_region == {"us-east-1": 0, "eu-west-1": 0}
    assert all(n > 0 for n in result.marks.missing_at_rollback.values())


def test_ctrl_c_mid_fault_still_rolls_back() -> None:
    clock = Clock()
    target = FakeTarget(clock)

    def interrupt(now: float) -> None:
        if target.dead and now > clock.fault_seen + 0.5:  # type: ignore[attr-defined]
            raise KeyboardInterrupt
        if not target.dead:
            clock.fault_seen = now  # type: ignore[attr-defined]

    clock.on_sleep = interrupt
    result = drill(target, "region-outage", Fault(FaultKind.KILL, "us-east-1")).run()
    assert result.status == "interrupted" and result.exit_code == 130
    assert target.executed == ["fake.kill", "fake.revive"]
    assert result.rolled_back and not target.dead
    assert [r.status for r in result.recording.rollback_runs] == ["succeeded"]


def test_an_exception_during_the_fault_still_rolls_back() -> None:
    target = FakeTarget(Clock(), fail_execute="fake.kill")
    result = drill(target, "region-outage", Fault(FaultKind.KILL, "us-east-1")).run()
    assert result.status == "failed" and "fake.kill failed" in (result.error or "")
    assert target.executed == ["fake.kill", "fake.revive"] and result.rolled_back


def test_a_failed_rollback_is_reported_not_hidden() -> None:
    target = FakeTarget(Clock(), fail_execute="fake.revive")
    result = drill(target, "region-outage", Fault(FaultKind.KILL, "us-east-1")).run()
    assert not result.rolled_back and result.status == "failed"
    assert any(e["kind"] == "rollback-failed" for e in result.events)


def test_unhealthy_steady_state_aborts_before_any_fault() -> None:
    target = FakeTarget(Clock())
    target.dead.add("eu-west-1")
    target.failing_since["eu-west-1"] = 0.0
    result = drill(target, "region-outage", Fault(FaultKind.KILL, "us-east-1")).run()
    assert result.status == "aborted" and result.exit_code == 2
    assert target.executed == [] and not result.rolled_back
    assert "eu-west-1" in (result.error or "")


def test_drill_events_are_posted_to_the_target() -> None:
    target = FakeTarget(Clock())
    drill(target, "region-outage", Fault(FaultKind.KILL, "us-east-1")).run()
    kinds = [k for k, _ in target.events]
    for kind in ("drill-start", "fault", "rollback", "recovered", "drill-end"):
        assert kind in kinds


def test_without_drill_write_a_drill_measures_availability_only_and_says_so() -> None:
    target = FakeTarget(Clock(), writes=False)
    result = drill(target, "region-outage", Fault(FaultKind.KILL, "us-east-1")).run()
    assert result.status == "completed" and result.rto_s is not None
    assert all(s.op == "read" for s in result.recording.samples)
    assert result.writes_acked == 0 and result.writes_lost is None
    assert not result.writes_measured
    # the lost-writes gate (0 in the topology) is not passed silently: it is not evaluated,
    # and the report says why
    assert "max_lost_writes" not in result.slo and result.slo["passed"]
    doc = report.to_json(result)
    assert doc["writes_measured"] is False and "[drill.write]" in doc["availability_only"]
    assert "availability only" in report.to_markdown(doc)
    assert any(e["kind"] == "availability-only" for e in doc["events"])


def test_partition_shows_divergence_per_pair_and_convergence_per_region() -> None:
    target = FakeTarget(Clock(), replication_delay_s=0.3)
    result = drill(
        target, "partition", Fault(FaultKind.PARTITION, "us-east-1", peer="eu-west-1")
    ).run()
    div = result.marks.divergence_at_rollback
    assert set(div) == {"us-east-1 -> eu-west-1", "eu-west-1 -> us-east-1"}
    assert all(n > 0 for n in div.values()), div
    # per pair it adds up to what each region lacked in total
    assert div["us-east-1 -> eu-west-1"] == result.marks.missing_at_rollback["eu-west-1"]
    conv = result.region_convergence_s
    assert set(conv) == {"us-east-1", "eu-west-1"}
    # the heal drains the queue after the injected delay; the overall time is the slower side
    assert all(0 < c <= 0.3 + 1.0 for c in conv.values()), conv
    assert result.convergence_s == pytest.approx(max(conv.values()))
    doc = report.to_json(result)
    md = report.to_markdown(doc)
    assert "| us-east-1 -> eu-west-1 | " + str(div["us-east-1 -> eu-west-1"]) in md


def test_one_timeline_every_time_of_the_report_has_one_source() -> None:
    target = FakeTarget(Clock(), action_s=1.0)  # a rollback that takes a second
    result = drill(target, "region-outage", Fault(FaultKind.KILL, "us-east-1")).run()
    doc = report.to_json(result)
    events = {e["kind"]: e for e in reversed(doc["events"])}  # first of each kind
    # the health flip in the table is the health-flip event of the victim
    flip = next(
        e
        for e in doc["events"]
        if e["kind"] == "health-flip" and e["region"] == "us-east-1" and "unhealthy" in e["detail"]
    )
    assert flip["time"] == pytest.approx(doc["health_flip_at"], abs=1e-3)
    # the rollback line, the rollback event and the table's rollback are one moment
    assert events["rollback"]["time"] == pytest.approx(doc["rollback_at"], abs=1e-3)
    assert doc["rollback_s"] == pytest.approx(1.0)
    # a location cannot recover (served by the survivor) before its edge switched to it
    ny = doc["locations"][0]
    assert ny["t_edge_change_s"] is not None and ny["t_edge_change_s"] <= ny["t_recovered_s"]
