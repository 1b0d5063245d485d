from __future__ import annotations

from polyregion.replication.lag import PairLag, percentile


def test_percentiles_by_nearest_rank() -> None:
    values = sorted(float(v) for v in range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile([], 99) == 0


def test_pair_reports_recent_lag_backlog_and_outcomes() -> None:
    lag = PairLag("us-east-1", "eu-west-1", delay_ms=80)
    for ms in (90, 100, 110, 400):
        lag.observe(ms, applied=ms < 400)
    out = lag.to_json()
    assert out["p50_ms"] == 100 and out["max_ms"] == 400
    assert (out["applied"], out["superseded"], out["injected_delay_ms"]) == (3, 1, 80)
