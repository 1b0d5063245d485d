"""The global table between real per-region endpoints: visibility, LWW, deletes, GSIs, echo."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from polyregion.topology import naming
from tests.replication.conftest import World, wait_until, world

pytestmark = pytest.mark.functional
# ruff: noqa: S310 - loopback control API


@pytest.fixture
def w(shared_world: World) -> World:
    return shared_world


def converged(w: World, pk: str, expected: str | None) -> bool:
    return all(w.value(r, pk) == expected for r in w.regions)


def explain(w: World, pk: str) -> Callable[[], object]:
    return lambda: ({r: w.get(r, pk) for r in w.regions}, w.replicator.status())


def test_write_is_visible_elsewhere_after_the_injected_delay(
    endpoints: dict[str, str], tmp_path: Path
) -> None:
    regions = ("us-east-1", "eu-west-1")
    with world(endpoints, tmp_path, "repl-delay", regions=regions, delay_ms=400) as wd:
        # The delay runs from when the replicator reads the change, which can be before the
        # put returns: time everything from the put's start.
        start = time.monotonic()
        wd.put("us-east-1", "d1", "hello")
        time.sleep(max(0.0, 0.15 - (time.monotonic() - start)))
        asked = time.monotonic() - start
        early = wd.get("eu-west-1", "d1")
        if asked < 0.35:  # a put slower than the delay (a loaded machine) leaves no window
            assert early is None, asked  # not before the injected delay
        wait_until(lambda: wd.value("eu-west-1", "d1") == "hello", timeout_s=5)
        took = time.monotonic() - start
        assert 0.4 <= took < 0.4 + 3.0  # delay + slack for a busy shared machine
        pair = next(p for p in wd.replicator.status()["pairs"] if p["source"] == "us-east-1")
        assert pair["injected_delay_ms"] == 400
        assert 400 <= pair["max_ms"] < 4000


def test_puts_updates_and_deletes_replicate_and_gsis_follow(w: World) -> None:
    w.put("eu-west-1", "p1", "first", slug="hello-world", version=1)
    wait_until(lambda: converged(w, "p1", "first"), timeout_s=10)
    for r in w.regions:  # each region's GSI is maintained by its own endpoint
        q = w.clients[r].dynamodb.query(
            TableName=w.table,
            IndexName="by-slug",
            KeyConditionExpression="slug = :s",
            ExpressionAttributeValues={":s": {"S": "hello-world"}},
        )
        assert [i["pk"]["S"] for i in q["Items"]] == ["p1"]
    w.put("us-east-1", "p1", "second", version=2)
    wait_until(lambda: converged(w, "p1", "second"), timeout_s=10)
    w.delete("ap-southeast-1", "p1")
    wait_until(lambda: converged(w, "p1", None), timeout_s=10)


def test_binary_attributes_replicate_byte_for_byte(w: World) -> None:
    blob = bytes(range(256))
    item = {
        "pk": {"S": "b1"},
        "sk": {"S": "item"},
        "value": {"S": "binary"},
        "blob": {"B": blob},
        "blobs": {"BS": [b"\x00", b"\xff\xfe"]},
        naming.UPDATED_AT: {"N": str(int(time.time() * 1000))},
        naming.UPDATED_REGION: {"S": "us-east-1"},
        naming.VERSION: {"N": "1"},
    }
    w.clients["us-east-1"].dynamodb.put_item(TableName=w.table, Item=item)
    wait_until(lambda: converged(w, "b1", "binary"), timeout_s=10, explain=explain(w, "b1"))
    for r in w.regions:
        got = w.get(r, "b1")
        assert got is not None and got["blob"]["B"] == blob
        assert sorted(got["blobs"]["BS"]) == [b"\x00", b"\xff\xfe"]


def test_concurrent_conflicting_writes_converge_to_the_last_writer(w: World) -> None:
    now = int(time.time() * 1000)
    # Written in this order, but the first one carries the later clock: it must win everywhere.
    w.put("us-east-1", "c1", "later-clock", at=now + 50)
    w.put("eu-west-1", "c1", "earlier-clock", at=now)
    # Same millisecond in two regions: the tie goes to the greater region name.
    w.put("ap-southeast-1", "c2", "from-ap", at=now)
    w.put("eu-west-1", "c2", "from-eu", at=now)
    wait_until(lambda: converged(w, "c1", "later-clock"), timeout_s=10)
    wait_until(lambda: converged(w, "c2", "from-eu"), timeout_s=10)
    time.sleep(0.3)  # and it stays that way: no ping-pong
    assert converged(w, "c1", "later-clock") and converged(w, "c2", "from-eu")


def test_delete_beats_an_older_concurrent_write_and_loses_to_a_newer_one(w: World) -> None:
    before = int(time.time() * 1000) - 2000
    w.put("us-east-1", "x1", "v1")
    wait_until(lambda: converged(w, "x1", "v1"), timeout_s=10)
    w.delete("us-east-1", "x1")
    # A write stamped before the delete arrives afterwards in another region: it lost.
    w.put("eu-west-1", "x1", "stale", at=before, version=2)
    wait_until(lambda: converged(w, "x1", None), timeout_s=10, explain=explain(w, "x1"))
    time.sleep(0.3)
    assert converged(w, "x1", None)  # the tombstone keeps it from coming back
    w.put("eu-west-1", "x1", "reborn", version=3)  # a genuinely newer write wins
    wait_until(lambda: converged(w, "x1", "reborn"), timeout_s=10)


def test_a_local_write_older_than_the_replicated_version_is_repaired(w: World) -> None:
    now = int(time.time() * 1000)
    w.put("us-east-1", "r1", "newest", at=now + 1000)
    wait_until(lambda: converged(w, "r1", "newest"), timeout_s=10)
    w.put("eu-west-1", "r1", "overwrote-with-old-clock", at=now)
    wait_until(lambda: converged(w, "r1", "newest"), timeout_s=10)


def test_regional_tables_are_never_replicated(w: World) -> None:
    regional = naming.table(w.topology, "audit")
    desc = w.clients["us-east-1"].dynamodb.describe_table(TableName=regional)["Table"]
    assert not desc.get("StreamSpecification", {}).get("StreamEnabled")  # nothing to read
    w.clients["us-east-1"].dynamodb.put_item(
        TableName=regional, Item={"pk": {"S": "audit-1"}, "sk": {"S": "e"}, "who": {"S": "ana"}}
    )
    w.put("us-east-1", "barrier-1", "after-the-audit-write")  # replicated after it, if at all
    wait_until(lambda: converged(w, "barrier-1", "after-the-audit-write"), timeout_s=10)
    for r in ("eu-west-1", "ap-southeast-1"):
        scan = w.clients[r].dynamodb.scan(TableName=regional)
        assert scan["Items"] == []


def test_replicated_writes_are_not_replicated_again(w: World) -> None:
    w.put("ap-southeast-1", "e1", "once")
    wait_until(lambda: converged(w, "e1", "once"), timeout_s=10)
    time.sleep(0.3)
    for r in w.regions:
        records = [rec for rec in w.stream_records(r) if rec["dynamodb"]["Keys"]["pk"]["S"] == "e1"]
        assert len(records) == 1  # one write per region: the original or its single copy
    streams = w.replicator.status()["streams"]
    before = {r: s["read"] for r, s in streams.items()}
    time.sleep(0.4)
    after = {r: s["read"] for r, s in w.replicator.status()["streams"].items()}
    assert before == after  # quiet: nothing bounces between regions


def test_control_api_rejects_bad_input_with_a_clear_error(w: World) -> None:
    import urllib.error
    import urllib.request

    req = urllib.request.Request(
        f"{w.replicator.url}/partition",
        data=b'{"a": "us-east-1", "b": "mars-1"}',
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=5)
    assert err.value.code == 400
    assert "two different regions" in err.value.read().decode()
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{w.replicator.url}/nope", timeout=5)
    assert err.value.code == 404
    assert any(e["kind"] == "replicator-started" for e in w.replicator.events())


def test_a_change_carries_the_time_its_source_recorded_it() -> None:
    """What replication lag counts from: the stream record's creation time, not the stamp
    the app put in the item (which may be seconds older: issue 15)."""
    from datetime import UTC, datetime

    from polyregion.replication.table import TableReplication

    image = {
        "pk": {"S": "user#x"}, "sk": {"S": "user"}, naming.UPDATED_AT: {"N": "1800000000000"},
        naming.UPDATED_REGION: {"S": "eu-west-1"}, naming.VERSION: {"N": "1"},
    }  # fmt: skip
    created = datetime.fromtimestamp(1_800_000_001.75, tz=UTC)  # 1.75 s after the stamp
    record = {
        "eventName": "INSERT",
        "dynamodb": {"ApproximateCreationDateTime": created, "NewImage": image},
    }
    change = TableReplication("t", writers={}).classify("eu-west-1", record).change
    assert change is not None and change.stamp.at == 1_800_000_000_000
    assert change.written_ms == change.since_ms == 1_800_000_001_750
    del record["dynamodb"]["ApproximateCreationDateTime"]  # nothing better: the stamp
    change = TableReplication("t", writers={}).classify("eu-west-1", record).change
    assert change is not None and change.written_ms is None
    assert change.since_ms == 1_800_000_000_000
