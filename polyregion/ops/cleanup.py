"""Remove a drill's records once its report is written (sandbox): users never browse them.

Every record a drill writes carries its id, `drill-<run>-...` (workload.record_id). After the
report, every table and bucket of the app in every region is searched for that run's prefix
and what holds it is deleted: table items with any string attribute containing it (the id may
be embedded, e.g. `post#drill-...`), objects whose key contains it. The lost-write check is
untouched: it ran before, on the records as the drill left them.

Tables and buckets are the app's own (`<app.name>-...`, topology.naming), found by listing the
region's endpoint, and their keys come from DescribeTable: nothing app-specific is assumed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from polyregion.data.clients import RegionClients


@dataclass
class Removed:
    items: dict[str, int] = field(default_factory=dict)  # "region table" -> items deleted
    objects: dict[str, int] = field(default_factory=dict)  # "region bucket" -> objects deleted
    errors: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.items.values()) + sum(self.objects.values())

    def as_dict(self) -> dict[str, Any]:
        return {"items": self.items, "objects": self.objects, "errors": self.errors}


def remove_drill_records(
    app_name: str, clients: Mapping[str, RegionClients], marker: str
) -> Removed:
    """Delete every record holding `marker` (a run prefix) from the app's tables and buckets
    in every region. A region that does not answer is reported in `errors`, not raised."""
    if len(marker) < len("drill-") + 4:
        raise ValueError(f"refusing to clean up with a marker as short as {marker!r}")
    removed = Removed()
    prefix = f"{app_name}-"
    for region, c in clients.items():
        try:
            for table in _names(c.dynamodb.list_tables().get("TableNames", []), prefix):
                n = _clean_table(c, table, marker)
                if n:
                    removed.items[f"{region} {table}"] = n
            buckets = [b["Name"] for b in c.s3.list_buckets().get("Buckets", [])]
            for bucket in _names(buckets, prefix):
                n = _clean_bucket(c, bucket, marker)
                if n:
                    removed.objects[f"{region} {bucket}"] = n
        except Exception as exc:  # one region's outage must not stop the rest
            removed.errors.append(f"{region}: {type(exc).__name__}: {exc}")
    return removed


def _names(names: list[str], prefix: str) -> list[str]:
    return sorted(n for n in names if n.startswith(prefix))


def _clean_table(c: RegionClients, table: str, marker: str) -> int:
    ddb = c.dynamodb
    keys = [k["AttributeName"] for k in ddb.describe_table(TableName=table)["Table"]["KeySchema"]]
    n = 0
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = ddb.scan(**kwargs)
        for item in page.get("Items", []):
            if holds(item, marker):
                ddb.delete_item(TableName=table, Key={k: item[k] for k in keys})
                n += 1
        if "LastEvaluatedKey" not in page:
            return n
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def holds(item: Mapping[str, Any], marker: str) -> bool:
    """Any top-level string attribute containing the marker."""
    return any(isinstance(v, dict) and marker in str(v.get("S", "")) for v in item.values())


def _clean_bucket(c: RegionClients, bucket: str, marker: str) -> int:
    s3 = c.s3
    n = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            if marker in obj["Key"]:
                s3.delete_object(Bucket=bucket, Key=obj["Key"])
                n += 1
    return n
