"""Stream reading against real region endpoints: what used to stall replication silently."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.replication.conftest import World, wait_until, world
from tests.support.endpoints import FAULT_HEADERS

pytestmark = pytest.mark.functional


@pytest.fixture(scope="module")
def w(endpoints: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world(
        endpoints,
        tmp_path_factory.mktemp("stream"),
        "repl-stream",
        regions=("us-east-1", "eu-west-1"),
    ) as wd:
        yield wd


def _status(w: World) -> dict[str, Any]:
    return w.replicator.status()


def _item(region: str, pk: str) -> dict[str, Any]:
    return {
        "pk": {"S": pk},
        "sk": {"S": "item"},
        "updated_at": {"N": str(int(time.time() * 1000))},
        "updated_region": {"S": region},
        "version": {"N": "1"},
    }


def test_a_cancelled_transaction_does_not_strand_the_stream(w: World) -> None:
    """The app claims a post's slug in a transaction; a retried or duplicate claim is cancelled.

    moto rolled a cancelled transaction back by swapping in a deep copy of the table, stream
    shard included: the replicator's iterators kept reading the orphaned shard, got no records
    and no error, and every later write in that region stopped replicating (the drill-bench
    stall). The rolled-back write must not replicate either.
    """
    src, dst = "eu-west-1", "us-east-1"
    ddb = w.clients[src].dynamodb
    ddb.put_item(TableName=w.table, Item=_item(src, "slug#taken"))
    wait_until(lambda: w.get(dst, "slug#taken") is not None, 10)
    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": w.table,
                        "Item": _item(src, "slug#taken"),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                # moto applies this one before rolling the whole transaction back.
                {"Put": {"TableName": w.table, "Item": _item(src, "post#rolled-back")}},
            ]
        )
    assert w.get(src, "post#rolled-back") is None
    w.put(src, "after-cancel", "v")
    wait_until(
        lambda: w.value(dst, "after-cancel") == "v",
        10,
        explain=lambda: _status(w)["streams"],
    )
    assert w.get(dst, "post#rolled-back") is None
    streams = _status(w)["streams"][src]
    assert streams["error"] is None
    assert streams["last_record_at"] is not None and time.time() - streams["last_record_at"] < 10


def test_a_failing_stream_read_is_logged_visible_in_status_and_recovers(w: World) -> None:
    """The endpoint's DynamoDB answers 503 (`fault dependency ... down`): the read failure shows
    in /status and the event log, then a recovery event, and nothing written meanwhile is lost."""
    src, dst = "us-east-1", "eu-west-1"
    faults = f"{w.replicator.endpoints[src]}/_sandbox/faults"
    down = {"dependency": "dynamodb", "mode": "down"}
    assert httpx.post(faults, json=down, headers=FAULT_HEADERS, timeout=5).status_code == 200
    try:
        wait_until(lambda: _status(w)["streams"][src]["error"] is not None, 10)
        failing = _status(w)["streams"][src]
        assert "ServiceUnavailable" in failing["error"] and failing["error_since"] is not None
    finally:
        up = {"dependency": "dynamodb", "mode": "up"}
        httpx.post(faults, json=up, headers=FAULT_HEADERS, timeout=5)
    w.put(src, "after-outage", "v")
    wait_until(lambda: w.value(dst, "after-outage") == "v", 10)
    assert _status(w)["streams"][src]["error"] is None
    kinds = [e["kind"] for e in w.replicator.events()]
    assert "stream-read-failed" in kinds and "stream-read-recovered" in kinds
    assert kinds.index("stream-read-failed") < kinds.index("stream-read-recovered")


def test_the_reader_goes_on_after_the_last_record_read_when_its_iterator_expires(
    w: World,
) -> None:
    """An iterator the endpoint no longer honours (expired on AWS after 15 minutes; dropped by
    the sandbox's endpoint, which keeps the newest): the endpoint says
    ExpiredIteratorException (a 400, where moto answered 500) and the reader asks a new
    iterator after the last record it read: every later record once, none twice."""
    from polyregion.replication.stream import StreamReader

    region = w.regions[0]
    c = w.clients[region]
    mine = [f"expire-{i}" for i in range(3)]

    def reader() -> StreamReader:
        r = StreamReader(region, w.table, c.dynamodb, c.dynamodbstreams)
        r.open({})
        return r

    def read(r: StreamReader) -> list[str]:
        pks = [rec["dynamodb"]["Keys"]["pk"]["S"] for _, rec in r.poll()]
        return [pk for pk in pks if pk in mine]

    def expire(r: StreamReader) -> None:
        for cursor in r.cursors.values():
            cursor.iterator = f"{r.stream_arn}|1|{'A' * 40}"  # not one the endpoint holds

    r = reader()
    read(r)
    for pk in mine[:2]:
        c.dynamodb.put_item(TableName=w.table, Item=_item(region, pk))
    assert read(r) == mine[:2]
    expire(r)
    c.dynamodb.put_item(TableName=w.table, Item=_item(region, mine[2]))
    assert read(r) == mine[2:]
    # Expired before it read anything: from where the shard was first opened.
    fresh = reader()
    expire(fresh)
    assert read(fresh) == mine


def test_a_shard_that_fails_loses_no_record_of_the_shards_read_before_it() -> None:
    """Two shards; the second's GetRecords fails once. The first's records came back in the
    failed poll, which raised: the next poll must return them again, not skip past them."""
    from polyregion.replication.stream import ShardCursor, StreamReader

    class Expired(Exception):
        pass

    class FakeStreams:
        exceptions = type("E", (), {"ExpiredIteratorException": Expired})
        fail_once = True

        def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
            if ShardIterator == "s2-it" and self.fail_once:
                self.fail_once = False
                raise RuntimeError("throttled")
            if ShardIterator == "s1-it":
                rec = {"dynamodb": {"SequenceNumber": "10"}}
                return {"Records": [rec], "NextShardIterator": "s1-next"}
            return {"Records": [], "NextShardIterator": ShardIterator}

    reader = StreamReader("r", "t", None, FakeStreams())  # type: ignore[arg-type]
    reader.cursors = {"s1": ShardCursor("s1", "s1-it"), "s2": ShardCursor("s2", "s2-it")}
    with pytest.raises(RuntimeError):
        reader.poll()
    assert [sid for sid, _ in reader.poll()] == ["s1"]
    assert reader.cursors["s1"].iterator == "s1-next"
    assert reader.cursors["s1"].last_read == "10"
    assert reader.poll() == []
