"""Drill records are removed after the report, in every region; nothing else is touched."""

from __future__ import annotations

import boto3
import pytest

from polyregion.data.clients import RegionClients
from polyregion.ops.cleanup import remove_drill_records
from polyregion.ops.workload import record_id, run_prefix
from tests.support.moto import FAKE_CREDENTIALS

pytestmark = pytest.mark.functional

REGIONS = ("us-east-1", "eu-west-1")


def clients(moto_url: str) -> dict[str, RegionClients]:
    session = boto3.session.Session(**{k.lower(): v for k, v in FAKE_CREDENTIALS.items()})
    return {r: RegionClients(r, moto_url, session=session) for r in REGIONS}


def test_only_this_runs_records_are_removed_from_every_table_and_bucket(moto_url: str) -> None:
    cs = clients(moto_url)
    mine, other_run = record_id("aa11bb", "paris", 1), record_id("cc22dd", "paris", 1)
    for region, c in cs.items():
        ddb = c.dynamodb
        ddb.create_table(
            TableName="notes-data",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for pk, sk, extra in (
            (f"post#{mine}", "meta", {}),  # the id embedded in the key
            ("kind#post", "123", {"slug": {"S": mine}}),  # in another attribute
            ("post#hello", "meta", {"slug": {"S": "hello"}}),  # a user's post
            (f"post#{other_run}", "meta", {}),  # another run: not ours to delete
        ):
            ddb.put_item(TableName="notes-data", Item={"pk": {"S": pk}, "sk": {"S": sk}, **extra})
        ddb.create_table(  # another app's table, same endpoint: never touched
            TableName="other-data",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.put_item(TableName="other-data", Item={"id": {"S": mine}})
        bucket = f"notes-uploads-{region}"
        c.s3.create_bucket(
            Bucket=bucket,
            **(
                {}
                if region == "us-east-1"
                else {"CreateBucketConfiguration": {"LocationConstraint": region}}  # type: ignore[typeddict-item]
            ),
        )
        c.s3.put_object(Bucket=bucket, Key=f"drill/{mine}.txt", Body=b"x")
        c.s3.put_object(Bucket=bucket, Key="covers/hello.png", Body=b"x")

    removed = remove_drill_records("notes", cs, run_prefix("aa11bb"))

    assert removed.errors == []
    assert removed.items == {"us-east-1 notes-data": 2, "eu-west-1 notes-data": 2}
    assert sum(removed.objects.values()) == 2
    for region, c in cs.items():
        left = c.dynamodb.scan(TableName="notes-data")["Items"]
        assert sorted(i["pk"]["S"] for i in left) == sorted(["post#hello", f"post#{other_run}"])
        assert c.dynamodb.scan(TableName="other-data")["Count"] == 1
        keys = c.s3.list_objects_v2(Bucket=f"notes-uploads-{region}").get("Contents", [])
        assert [o["Key"] for o in keys] == ["covers/hello.png"]


def test_a_marker_too_short_to_be_a_run_is_refused(moto_url: str) -> None:
    with pytest.raises(ValueError, match="refusing"):
        remove_drill_records("notes", clients(moto_url), "drill-")
