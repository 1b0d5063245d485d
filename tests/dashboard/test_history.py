from __future__ import annotations

from polyregion.dashboard.history import LagHistory, PairLag, parse_replication


def lag(p99: float | None, backlog: int | None = 0) -> PairLag:
    return PairLag("us-east-1", "eu-west-1", 1.0, p99, 2.0, backlog)


def test_one_point_per_bucket_keeps_the_worst_sample() -> None:
    history = LagHistory(window_s=60, bucket_s=2)
    history.add(100.0, [lag(10.0, 0)])
    history.add(100.5, [lag(30.0, 4)])
    history.add(101.9, [lag(20.0, 1)])
    history.add(102.0, [lag(5.0, 0)])
    points = history.series("us-east-1->eu-west-1")
    assert [(p.t, p.p99_ms, p.backlog) for p in points] == [(100.0, 30.0, 4), (102.0, 5.0, 0)]


def test_window_drops_old_points() -> None:
    history = LagHistory(window_s=10, bucket_s=1)
    for t in range(100):
        history.add(float(t), [lag(float(t))])
    points = history.series("us-east-1->eu-west-1")
    assert points[0].t >= 89
    assert points[-1].t == 99
    assert len(points) <= 11


def test_missing_figures_stay_missing() -> None:
    history = LagHistory()
    history.add(0.0, [lag(None, None)])
    history.add(0.1, [lag(7.0, None)])
    (point,) = history.series("us-east-1->eu-west-1")
    assert (point.p99_ms, point.backlog) == (7.0, None)


def test_parse_mapping_and_list_shapes() -> None:
    as_mapping = parse_replication(
        {"eu-west-1->us-east-1": {"p50_ms": 1, "p99_ms": 2, "max_ms": 3, "backlog": 4}}
    )
    as_list = parse_replication(
        [{"source": "eu-west-1", "target": "us-east-1", "p50": 1, "p99": 2, "max": 3, "backlog": 4}]
    )
    nested = parse_replication(
        {"pairs": [{"source": "eu-west-1", "destination": "us-east-1", "p50_ms": 1}]}
    )
    expected = PairLag("eu-west-1", "us-east-1", 1.0, 2.0, 3.0, 4)
    assert as_mapping == as_list == [expected]
    assert nested[0].key == "eu-west-1->us-east-1"


def test_parse_ignores_what_it_cannot_read() -> None:
    assert parse_replication(None) == []
    assert parse_replication({}) == []
    assert parse_replication({"nonsense": 3, "a->b": "x"}) == []
    (row,) = parse_replication({"a->b": {"p99_ms": "fast", "backlog": True}})
    assert (row.p99_ms, row.backlog) == (None, None)


def test_no_samples_is_no_lag_not_zero_lag() -> None:
    (row,) = parse_replication(
        {"pairs": [{"source": "a", "destination": "b", "p99_ms": 0.0, "samples": 0, "backlog": 0}]}
    )
    assert (row.p99_ms, row.backlog) == (None, 0)
