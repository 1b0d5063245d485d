from __future__ import annotations

from polyregion.replication.stamps import Stamp, key_id, stamp_of, stored_older


def item(at: int, region: str, version: int) -> dict[str, dict[str, str]]:
    return {
        "pk": {"S": "p"},
        "sk": {"S": "s"},
        "updated_at": {"N": str(at)},
        "updated_region": {"S": region},
        "version": {"N": str(version)},
    }


def test_order_is_time_then_region_then_version() -> None:
    assert Stamp(2, "a", 0) > Stamp(1, "z", 9)
    assert Stamp(1, "us-east-1", 0) > Stamp(1, "eu-west-1", 5)  # tie on time: region name
    assert Stamp(1, "eu-west-1", 2) > Stamp(1, "eu-west-1", 1)


def test_stamp_round_trips_and_reads_items() -> None:
    s = Stamp(1700000000123, "eu-west-1", 7)
    assert Stamp.decode(s.encode()) == s
    assert stamp_of(item(1700000000123, "eu-west-1", 7)) == s
    assert stamp_of({"pk": {"S": "p"}}) is None  # not written by the app
    assert stamp_of(None) is None


def test_key_id_is_stable_and_ignores_other_attributes() -> None:
    assert key_id({"pk": {"S": "p"}, "sk": {"S": "s"}}) == key_id(
        {"sk": {"S": "s"}, "pk": {"S": "p"}}
    )


def test_stored_older_is_the_lww_rule() -> None:
    s = Stamp(5, "eu-west-1", 2)
    assert stored_older(None, s)  # absent: anything wins
    assert stored_older({"pk": {"S": "p"}}, s)  # unstamped (not the app's): oldest
    assert stored_older(item(4, "us-east-1", 9), s)  # earlier clock
    assert stored_older(item(5, "ap-southeast-1", 9), s)  # same ms: region name breaks the tie
    assert stored_older(item(5, "eu-west-1", 1), s)  # same ms and region: version
    assert not stored_older(item(5, "eu-west-1", 2), s)  # the same version: a replay loses
    assert not stored_older(item(5, "us-east-1", 0), s)
    assert not stored_older(item(6, "ap-southeast-1", 0), s)
