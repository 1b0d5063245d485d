from __future__ import annotations

import pytest

from polyregion.ops import measure
from polyregion.ops.model import Observation, Sample


def series(pattern: str, start: float = 0.0, step: float = 0.1) -> list[Sample]:
    """'.' = success, 'x' = failure, one sample every `step` seconds from `start`."""
    return [
        Sample(start + i * step, "paris", "read", c == ".", 0.01, region="eu-west-1")
        for i, c in enumerate(pattern)
    ]


def test_recovery_is_the_first_moment_the_window_is_back_above_99_percent() -> None:
    samples = series("....." + "xxxxx" + "." * 30)  # fault at 0.5, failures 0.5..0.9
    assert measure.recovered_at(samples, 0.5, 1.0) == pytest.approx(1.0)


def test_a_blip_inside_the_window_delays_recovery() -> None:
    samples = series("xxxx" + "....x" + "." * 30)
    assert measure.recovered_at(samples, 0.0, 1.0) == pytest.approx(0.9)


def test_never_failing_location_recovered_at_the_fault() -> None:
    assert measure.recovered_at(series("." * 20), 0.3, 1.0) == 0.3


def test_recovery_that_only_the_rollback_brings_is_no_recovery() -> None:
    samples = series("x" * 20 + "." * 20)  # succeeds only from 2.0 s, when rollback happened
    assert measure.recovered_at(samples, 0.0, 1.0, until=2.0) is None
    assert measure.recovered_at(samples, 0.0, 1.0) == pytest.approx(2.0)


def test_too_little_data_after_the_failures_is_not_a_recovery() -> None:
    assert measure.recovered_at(series("xxxx.."), 0.0, 1.0) is None


def test_dns_change_and_health_flip_are_first_observations_after_the_fault() -> None:
    obs = [
        Observation(0.0, {"a": True}, {"paris": "a"}),
        Observation(1.0, {"a": False}, {"paris": "a"}),
        Observation(2.0, {"a": False}, {"paris": "b"}),
    ]
    assert measure.health_flip_at(obs, "a", after=0.5) == 1.0
    assert measure.dns_change_at(obs, "paris", "a", after=0.5) == 2.0
    assert measure.dns_change_at(obs[:2], "paris", "a", after=0.5) is None


def write(t: float, key: str, ok: bool = True) -> Sample:
    return Sample(t, "paris", "write", ok, 0.05, seq=int(t), key=key)


def test_lost_writes_are_acked_writes_no_surviving_replica_holds() -> None:
    samples = [write(1, "k1"), write(2, "k2"), write(3, "k3", ok=False), write(4, "k4")]
    holding = {"a": {"k1"}, "b": {"k1", "k2"}, "dead": {"k4"}}
    loss = measure.lost_writes(samples, holding, ["a", "b"])
    assert loss.acked == 3
    assert [s.key for s in loss.lost] == ["k4"]  # k3 was never acknowledged: not lost
    assert loss.missing_by_region == {"a": 2, "b": 1}


def test_rpo_spans_the_lost_writes_up_to_the_fault() -> None:
    lost = (write(8.0, "a"), write(9.0, "b"))
    assert measure.rpo_s(lost, fault_t=10.0) == pytest.approx(10.0 - 8.05)
    assert measure.rpo_s((), fault_t=10.0) == 0.0


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert measure.percentile(values, 50) == 50
    assert measure.percentile(values, 99) == 99
    assert measure.percentile([3.0], 90) == 3.0
    with pytest.raises(ValueError):
        measure.percentile([], 50)


def test_success_series_bins_samples() -> None:
    xs, ys = measure.success_series(series("..x." + "...."), 0.0, 0.4)
    assert ys == [0.75, 1.0] and xs == pytest.approx([0.2, 0.6])
