"""The region endpoint's replication extension, driven in-process through moto's WSGI app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.test import Client

from polyregion.replication.endpoint import wrap
from polyregion.replication.stamps import DELETING, Image, Stamp, stamp_of


def client() -> Client:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return Client(wrap(DomainDispatcherApplication(create_backend_app)))


def test_extension_announces_itself_and_rejects_bad_requests() -> None:
    c = client()
    features = json.loads(c.get("/_polyregion/replication").data)["features"]
    assert "s3-replication-status" in features and "secret-replica-guard" in features
    assert c.get("/_polyregion/nope").status_code == 404
    bad = c.post("/_polyregion/s3/status", data=b"{not json")
    assert bad.status_code == 400 and b"bad request" in bad.data
    wrong = c.post(
        "/_polyregion/s3/status",
        data=json.dumps({"bucket": "b", "key": "k", "version_id": "v", "status": "DONE"}),
    )
    assert wrong.status_code == 400 and b"PENDING, COMPLETED" in wrong.data


def test_replica_secrets_refuse_writes_except_from_the_replicator() -> None:
    c = client()
    c.post("/_polyregion/secrets/replica", data=json.dumps({"name": "app/s", "primary": "r1"}))
    body = json.dumps({"SecretId": "app/s", "SecretString": "x"})
    headers = {"X-Amz-Target": "secretsmanager.PutSecretValue"}
    refused = c.post("/", data=body, headers=headers)
    assert refused.status_code == 400
    assert json.loads(refused.data)["__type"] == "InvalidRequestException"
    # Other secrets, and reads, pass through to moto (which answers for itself).
    other = c.post(
        "/",
        data=json.dumps({"SecretId": "other"}),
        headers={"X-Amz-Target": "secretsmanager.GetSecretValue"},
    )
    assert b"replica secret" not in other.data


def test_the_s3_change_feed_moves_on_bucket_writes_only() -> None:
    """The replicator lists a bucket's versions only when this feed moved (issue 15: listing
    every 200 ms grew an idle endpoint by ~40 MB a minute)."""
    c = client()
    seq = json.loads(c.get("/_polyregion/s3/changes").data)["seq"]
    c.put("/feed-bucket")  # CreateBucket (path style)
    c.put("/feed-bucket/a.txt", data=b"x")
    c.get("/feed-bucket/a.txt")  # reads do not count
    c.post("/", data="{}", headers={"X-Amz-Target": "DynamoDB_20120810.ListTables"})
    moved = json.loads(c.get(f"/_polyregion/s3/changes?after={seq}&timeout=5").data)["seq"]
    assert moved == seq + 2
    signed = {"Authorization": "AWS4-HMAC-SHA256 Credential=x/20250101/us-east-1/s3/aws4_request"}
    assert c.delete("/feed-bucket/a.txt", headers=signed).status_code == 204
    assert json.loads(c.get("/_polyregion/s3/changes").data)["seq"] == moved + 1
    # Nothing new: a wait returns the same count after its (short) timeout.
    same = json.loads(c.get(f"/_polyregion/s3/changes?after={moved + 1}&timeout=0.05").data)
    assert same["seq"] == moved + 1


# -- replica writes (replica_writes.py) ------------------------------------------------------------
TABLE = "replica-writes"


def item(pk: str, at: int, region: str = "us-east-1", version: int = 1, **extra: str) -> Image:
    out: Image = {
        "pk": {"S": pk},
        "sk": {"S": "item"},
        "updated_at": {"N": str(at)},
        "updated_region": {"S": region},
        "version": {"N": str(version)},
    }
    out.update({k: {"S": v} for k, v in extra.items()})
    return out


def op(kind: str, stamp: Stamp, it: Image) -> dict[str, object]:
    return {"op": kind, "stamp": stamp.encode(), "item": it}


def stamp(it: Image) -> Stamp:
    s = stamp_of(it)
    assert s is not None
    return s


@pytest.fixture
def ddb() -> Iterator[Any]:
    """A stream-enabled table in eu-west-1 of moto's in-process backends."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        c = boto3.client("dynamodb", region_name="eu-west-1")
        c.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        yield c


def apply(c: Client, *ops: dict[str, object], table: str = TABLE) -> Any:
    resp = c.post(
        "/_polyregion/dynamodb/apply",
        data=json.dumps({"region": "eu-west-1", "table": table, "ops": list(ops)}),
    )
    return resp.status_code, json.loads(resp.data)


def records(ddb: Any) -> list[dict[str, Any]]:
    """The table's stream records, as GetRecords serves them (read from the backend: moto's
    in-process mock does not route DynamoDB Streams calls)."""
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
    from moto.dynamodb.models import dynamodb_backends

    shard = dynamodb_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].get_table(TABLE).stream_shard
    return [r.to_json() for r in shard.items]


def stored(ddb: Any, pk: str) -> Image | None:
    key = {"pk": {"S": pk}, "sk": {"S": "item"}}
    return ddb.get_item(TableName=TABLE, Key=key, ConsistentRead=True).get("Item")


def test_replica_puts_apply_only_when_newer_and_replays_leave_no_record(ddb: Any) -> None:
    c = client()
    v1, v2 = item("a", 100, value="one"), item("a", 200, "ap-southeast-1", value="two")
    assert apply(c, op("put", stamp(v1), v1)) == (200, {"applied": [True]})
    # In one batch, in order: a replay of v1 loses, v2 wins, an older one after it loses.
    older = item("a", 150, value="older")
    assert apply(
        c, op("put", stamp(v1), v1), op("put", stamp(v2), v2), op("put", stamp(older), older)
    ) == (
        200,
        {"applied": [False, True, False]},
    )
    assert stored(ddb, "a") == v2
    assert [r["eventName"] for r in records(ddb)] == ["INSERT", "MODIFY"]  # one per write


def test_replica_deletes_mark_only_their_stream_record(ddb: Any) -> None:
    c = client()
    v1 = item("d", 100, value="one")
    apply(c, op("put", stamp(v1), v1))
    key = {"pk": v1["pk"], "sk": v1["sk"]}
    assert apply(c, op("delete", Stamp(50, "us-east-1", 0), key))[1] == {"applied": [False]}
    assert stored(ddb, "d") == v1  # a delete older than the item loses
    gone = Stamp(101, "eu-west-1", 2)
    assert apply(c, op("delete", gone, key))[1] == {"applied": [True]}
    assert stored(ddb, "d") is None
    assert apply(c, op("delete", gone, key))[1] == {"applied": [False]}  # replay: nothing there
    remove = records(ddb)[-1]
    assert remove["eventName"] == "REMOVE"
    # The old image carries the marker (the replicator's own delete); the item never did.
    assert remove["dynamodb"]["OldImage"][DELETING] == {"S": gone.encode()}
    assert {k: v for k, v in remove["dynamodb"]["OldImage"].items() if k != DELETING} == v1


def test_restore_puts_the_winner_back_over_anything_older_that_is_still_there(ddb: Any) -> None:
    c = client()
    winner, loser = item("r", 200, value="winner"), item("r", 100, "eu-west-1", 2, value="loser")
    apply(c, op("put", stamp(loser), loser))
    assert apply(c, op("restore", stamp(winner), winner))[1] == {"applied": [True]}
    assert stored(ddb, "r") == winner
    newer = item("r", 300, value="newer")
    apply(c, op("put", stamp(newer), newer))
    assert apply(c, op("restore", stamp(winner), winner))[1] == {"applied": [False]}
    gone = item("g", 200, value="winner")  # deleted meanwhile: a restore never re-creates
    assert apply(c, op("restore", stamp(gone), gone))[1] == {"applied": [False]}
    assert stored(ddb, "g") is None


def test_a_put_older_than_a_replicated_delete_never_recreates_the_item(ddb: Any) -> None:
    c = client()
    key = {"pk": {"S": "t"}, "sk": {"S": "item"}}
    # The delete arrives first (nothing to remove here), the older put after it, late.
    assert apply(c, op("delete", Stamp(150, "ap-southeast-1", 1), key))[1] == {"applied": [False]}
    late = item("t", 100, value="late")
    assert apply(c, op("put", stamp(late), late))[1] == {"applied": [False]}
    assert stored(ddb, "t") is None
    newer = item("t", 200, value="newer")  # a write after the delete wins as usual
    assert apply(c, op("put", stamp(newer), newer))[1] == {"applied": [True]}
    assert stored(ddb, "t") == newer


def test_the_delete_marker_is_never_stored_on_an_item(ddb: Any) -> None:
    c = client()
    marked = item("m", 100, value="v")
    marked[DELETING] = {"S": "100|us-east-1|0"}
    assert apply(c, op("put", stamp(marked), marked))[1] == {"applied": [True]}
    assert DELETING not in (stored(ddb, "m") or {})


def test_replica_writes_reject_bad_requests_clearly(ddb: Any) -> None:
    c = client()
    code, body = apply(c, {"op": "upsert", "stamp": "1|r|0", "item": {}})
    assert code == 400 and "put, delete or restore" in body["error"]
    v = item("x", 1)
    code, body = apply(c, op("put", stamp(v), v), table="no-such-table")
    assert code == 400 and "ResourceNotFoundException" in body["error"]
    assert stored(ddb, "x") is None


def test_items_without_a_stamp_are_ordered_by_the_stamps_the_endpoint_keeps(ddb: Any) -> None:
    """An app's plain items (key `id` only): the endpoint stamps each local write in its stream
    record, keeps that stamp per key, and a replicated write older than it loses."""
    from polyregion.replication.stamps import RECORD_STAMP, REPLICA, record_stamp

    c = client()
    ddb.create_table(
        TableName="plain",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
    from moto.dynamodb.models import dynamodb_backends

    shard = dynamodb_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].get_table("plain").stream_shard
    ddb.put_item(TableName="plain", Item={"id": {"S": "n"}, "text": {"S": "local"}})
    local = record_stamp(shard.items[-1].record["dynamodb"]["NewImage"])
    assert local is not None and local.region == "eu-west-1"
    # Older than the local write (it was made before it elsewhere): refused.
    stale = {"id": {"S": "n"}, "text": {"S": "stale"}}
    before = Stamp(local.at - 1000, "us-east-1", 7)
    assert apply(c, op("put", before, stale), table="plain")[1] == {"applied": [False]}
    newer = Stamp(local.at + 5, "us-east-1", 8)
    fresh = {"id": {"S": "n"}, "text": {"S": "fresh"}}
    assert apply(c, op("put", newer, fresh), table="plain")[1] == {"applied": [True]}
    replica = shard.items[-1].record["dynamodb"]["NewImage"]
    assert record_stamp(replica, REPLICA) == newer and RECORD_STAMP not in replica
    # The item is exactly what the app wrote: no stamp attributes, no markers.
    got = ddb.get_item(TableName="plain", Key={"id": {"S": "n"}}, ConsistentRead=True)["Item"]
    assert got == fresh
    # A later local write is stamped after the replicated version it overwrites.
    ddb.put_item(TableName="plain", Item={"id": {"S": "n"}, "text": {"S": "again"}})
    again = record_stamp(shard.items[-1].record["dynamodb"]["NewImage"])
    assert again is not None and again > newer
