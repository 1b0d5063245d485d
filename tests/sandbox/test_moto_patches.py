"""moto's fixes for the region endpoints: GetRecords answered without moto's serializer."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.test import Client

from polyregion.sandbox import moto_patches

REGION = "eu-west-1"
TABLE = "patch-records"
STREAMS = "DynamoDBStreams_20120810"


def call(c: Client, target: str, body: dict[str, Any], service: str) -> Any:
    headers = {
        "X-Amz-Target": target,
        "Content-Type": "application/x-amz-json-1.0",
        "Authorization": f"AWS4-HMAC-SHA256 Credential=AKID/20260101/{REGION}/{service}/"
        "aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "ab" * 32,
    }
    resp = c.post("/", data=json.dumps(body), headers=headers)
    assert resp.status_code == 200, resp.data
    return resp


@pytest.fixture
def world() -> Iterator[tuple[Client, str, str]]:
    """A stream-enabled table in moto's in-process backends, with items of every attribute
    type written; (client, stream ARN, an iterator at the start of its shard)."""
    import boto3
    from moto import mock_aws
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    moto_patches.apply()
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        ddb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        item: dict[str, Any] = {
            "pk": {"S": "k"},
            "n": {"N": "12.50"},
            "b": {"B": b"\x00\xffbin"},
            "bs": {"BS": [b"\x01", b"\x02"]},
            "ss": {"SS": ["a", "b"]},
            "ns": {"NS": ["1", "2"]},
            "m": {"M": {"inner": {"B": b"\x03"}, "s": {"S": "é\u2603"}, "l": {"L": [{"N": "1"}]}}},
            "l": {"L": [{"S": "x"}, {"NULL": True}, {"BOOL": False}, {"B": b"\x04"}]},
            "t": {"BOOL": True},
        }
        for i in range(3):
            ddb.put_item(TableName=TABLE, Item={**item, "pk": {"S": f"k{i}"}})
            time.sleep(0.002)  # creation times with distinct milliseconds
        ddb.update_item(
            TableName=TABLE,
            Key={"pk": {"S": "k0"}},
            UpdateExpression="SET n = :n",
            ExpressionAttributeValues={":n": {"N": "3"}},
        )
        ddb.delete_item(TableName=TABLE, Key={"pk": {"S": "k1"}})
        arn = ddb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
        c = Client(DomainDispatcherApplication(create_backend_app))
        shard = json.loads(
            call(c, f"{STREAMS}.DescribeStream", {"StreamArn": arn}, "dynamodb").data
        )["StreamDescription"]["Shards"][0]["ShardId"]
        it = json.loads(
            call(
                c,
                f"{STREAMS}.GetShardIterator",
                {"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"},
                "dynamodb",
            ).data
        )["ShardIterator"]
        yield c, arn, it


def test_get_records_answers_what_moto_serializer_answers(
    world: tuple[Client, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same JSON, parsed the same by botocore, as moto's own (slow) serializer writes."""
    import botocore.session
    from botocore.parsers import create_parser
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    c, _, it = world
    fast = call(c, f"{STREAMS}.GetRecords", {"ShardIterator": it, "Limit": 100}, "dynamodb")
    monkeypatch.setattr(DynamoDBStreamsHandler, "get_records", moto_patches.MOTO_GET_RECORDS)
    slow = call(c, f"{STREAMS}.GetRecords", {"ShardIterator": it, "Limit": 100}, "dynamodb")

    fast_body, slow_body = json.loads(fast.data), json.loads(slow.data)
    assert len(fast_body["Records"]) == 5  # 3 inserts, a modify, a remove
    # Every iterator is new: compare everything else exactly.
    fast_body.pop("NextShardIterator"), slow_body.pop("NextShardIterator")
    assert fast_body == slow_body
    assert fast.headers["Content-Type"] == slow.headers["Content-Type"]
    first = fast_body["Records"][0]["dynamodb"]
    assert base64.b64decode(first["NewImage"]["b"]["B"]) == b"\x00\xffbin"
    assert isinstance(first["ApproximateCreationDateTime"], float)

    model = botocore.session.get_session().get_service_model("dynamodbstreams")
    shape = model.operation_model("GetRecords").output_shape
    parser = create_parser("json")
    parsed = [
        parser.parse({"body": r.data, "headers": dict(r.headers), "status_code": 200}, shape)
        for r in (fast, slow)
    ]
    for p in parsed:
        p.pop("NextShardIterator"), p.pop("ResponseMetadata", None)
    assert parsed[0] == parsed[1]
    assert parsed[0]["Records"][0]["dynamodb"]["NewImage"]["bs"]["BS"] == [b"\x01", b"\x02"]


def test_get_records_of_a_quiet_stream_and_the_next_iterator(
    world: tuple[Client, str, str],
) -> None:
    c, _, it = world
    first = json.loads(call(c, f"{STREAMS}.GetRecords", {"ShardIterator": it}, "dynamodb").data)
    assert len(first["Records"]) == 5
    after = first["NextShardIterator"]
    empty = json.loads(call(c, f"{STREAMS}.GetRecords", {"ShardIterator": after}, "dynamodb").data)
    assert empty["Records"] == [] and empty["NextShardIterator"]


def test_an_iterator_no_longer_held_is_expired_a_400_not_a_500(
    world: tuple[Client, str, str],
) -> None:
    """moto raised KeyError (a 500) for an iterator it had dropped (it keeps the newest
    MAX_SHARD_ITERATORS) or never handed out: AWS answers ExpiredIteratorException."""
    c, arn, _ = world
    for iterator in (arn + "|1|" + "A" * 40, "not-an-iterator"):
        resp = c.post(
            "/",
            data=json.dumps({"ShardIterator": iterator}),
            headers={
                "X-Amz-Target": f"{STREAMS}.GetRecords",
                "Content-Type": "application/x-amz-json-1.0",
                "Authorization": f"AWS4-HMAC-SHA256 Credential=AKID/20260101/{REGION}/"
                "dynamodb/aws4_request, SignedHeaders=host, Signature=" + "ab" * 32,
            },
        )
        assert resp.status_code == 400, resp.data
        assert json.loads(resp.data)["__type"].endswith("ExpiredIteratorException")


def test_wire_value_refuses_what_the_protocol_cannot_carry() -> None:
    with pytest.raises(TypeError, match="set"):
        moto_patches._wire_value({1})


def test_new_items_are_still_refused_over_the_size_limit(
    world: tuple[Client, str, str],
) -> None:
    """The size of a new item is checked once (not once per attribute), with moto's outcome:
    over the limit PutItem is refused, and later updates are still checked per attribute."""
    import boto3
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

    ddb = boto3.client("dynamodb", region_name=REGION)
    half = "x" * (moto_patches.ITEM_SIZE_LIMIT // 2)
    with pytest.raises(ddb.exceptions.ClientError, match="Item size has exceeded"):
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": "big"}, "a": {"S": half}, "b": {"S": half}})
    assert "Item" not in ddb.get_item(TableName=TABLE, Key={"pk": {"S": "big"}})
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "fits"}, "a": {"S": half}})
    with pytest.raises(ddb.exceptions.ClientError, match="Item size"):
        ddb.update_item(
            TableName=TABLE,
            Key={"pk": {"S": "fits"}},
            UpdateExpression="SET b = :b",
            ExpressionAttributeValues={":b": {"S": half}},
        )
    item = Item(DynamoType({"S": "k"}), None, {"pk": {"S": "k"}, "n": {"N": "1"}})
    assert isinstance(item.attrs, LimitedSizeDict)
    assert item.attrs == {"pk": DynamoType({"S": "k"}), "n": DynamoType({"N": "1"})}
