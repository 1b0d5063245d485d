from __future__ import annotations

from polyregion.replication.progress import Progress


def test_position_advances_only_past_fully_applied_records() -> None:
    p = Progress()
    p.track("arn", "shard", "100", 2)  # two destinations
    p.track("arn", "shard", "101", 0)  # an echo: nothing to apply
    p.track("arn", "shard", "102", 1)
    assert p.positions() == {}
    p.done("arn", "shard", "102")  # finished first, but 100 is still in flight
    assert p.positions() == {}
    p.done("arn", "shard", "100")
    assert p.positions() == {}
    p.done("arn", "shard", "100")
    assert p.positions() == {"arn": {"shard": "102"}}
    assert p.in_flight() == 0


def test_sequence_numbers_compare_as_numbers() -> None:
    p = Progress()
    p.track("arn", "s", "99", 0)
    p.track("arn", "s", "100", 0)
    assert p.positions() == {"arn": {"s": "100"}}
