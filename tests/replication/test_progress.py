from __future__ import annotations

from polyregion.replication.progress import Progress


def test_position_advances_only_past_fully_applied_records() -> None:
    p = Progress()
    first = p.track("arn", "shard", "100", 2)  # two destinations
    p.track("arn", "shard", "101", 0)  # an echo: nothing to apply
    third = p.track("arn", "shard", "102", 1)
    assert p.positions() == {}
    p.done("arn", "shard", third)  # finished first, but 100 is still in flight
    assert p.positions() == {}
    p.done("arn", "shard", first)
    assert p.positions() == {}
    p.done("arn", "shard", first)
    assert p.positions() == {"arn": {"shard": "102"}}
    assert p.in_flight() == 0


def test_a_record_read_twice_is_accounted_for_twice() -> None:
    p = Progress()
    a = p.track("arn", "s", "7", 1)
    b = p.track("arn", "s", "7", 1)  # the same sequence number again (moto under load)
    p.done("arn", "s", a)
    p.done("arn", "s", b)
    assert p.positions() == {"arn": {"s": "7"}} and p.in_flight() == 0
