"""Each region's data across `down`/`up`: a snapshot on stop, restored on the next start.

moto keeps everything in memory, so without this a user's posts vanish at `polyregion down`.
On a clean stop the supervisor reads every table's items, every bucket's current objects and
the session secret out of each region's endpoint, through the same boto3 API the app uses,
and writes one file per region under the run directory (`data/<region>.json`). On the next
`up`, once the regions are provisioned, it writes them back; `up --fresh` discards them.

Crash-safe: a snapshot is written to a temporary file, fsynced, renamed over the previous
one and the directory fsynced, so a crash (or a full disk) mid-snapshot leaves the previous
snapshot whole. What is kept: items and the latest version of each object (older versions
and delete markers are not), and the session secret's current value (so sessions survive);
the origin-verify secret is new every run by design.
"""

from __future__ import annotations

import base64
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from polyregion.data.clients import RegionClients
from polyregion.sandbox.status_types import DataCountsJSON

FORMAT: Final = 1
DIR_NAME: Final = "data"


@dataclass(frozen=True)
class Counts:
    items: int = 0
    objects: int = 0
    secrets: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.items + other.items, self.objects + other.objects, self.secrets + other.secrets
        )

    def to_json(self) -> DataCountsJSON:
        return {"items": self.items, "objects": self.objects, "secrets": self.secrets}

    def __str__(self) -> str:
        return f"{self.items} items, {self.objects} objects, {self.secrets} secrets"


def read_region(clients: RegionClients, secret_names: list[str]) -> dict[str, Any]:
    """Everything worth keeping in one region's endpoint, as JSON."""
    ddb, s3, sm = clients.dynamodb, clients.s3, clients.secretsmanager
    tables: dict[str, list[Any]] = {}
    for page in ddb.get_paginator("list_tables").paginate():
        for name in page.get("TableNames", []):
            items: list[Any] = []
            for scan in ddb.get_paginator("scan").paginate(TableName=name):
                items += scan.get("Items", [])
            tables[name] = items
    buckets: dict[str, list[dict[str, Any]]] = {}
    for bucket in s3.list_buckets().get("Buckets", []):
        objects = []
        for listed in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"]):
            for entry in listed.get("Contents", []):
                got = s3.get_object(Bucket=bucket["Name"], Key=entry["Key"])
                objects.append(
                    {
                        "key": entry["Key"],
                        "body": base64.b64encode(got["Body"].read()).decode(),
                        "content_type": got.get("ContentType"),
                        "metadata": got.get("Metadata", {}),
                    }
                )
        buckets[bucket["Name"]] = objects
    secrets: dict[str, str] = {}
    for name in secret_names:
        try:
            secrets[name] = sm.get_secret_value(SecretId=name)["SecretString"]
        except sm.exceptions.ResourceNotFoundException:
            continue
    return {"format": FORMAT, "taken_at": time.time(), "tables": tables, "buckets": buckets,
            "secrets": secrets}  # fmt: skip


def counts(snapshot: dict[str, Any]) -> Counts:
    return Counts(
        sum(len(v) for v in snapshot.get("tables", {}).values()),
        sum(len(v) for v in snapshot.get("buckets", {}).values()),
        len(snapshot.get("secrets", {})),
    )


def write_region(clients: RegionClients, snapshot: dict[str, Any]) -> Counts:
    """Put a snapshot back into a provisioned region (tables and buckets that exist now; the
    secrets are given to provisioning instead, see `secret`)."""
    ddb, s3 = clients.dynamodb, clients.s3
    existing = {n for p in ddb.get_paginator("list_tables").paginate() for n in p["TableNames"]}
    items = objects = 0
    for table, rows in snapshot.get("tables", {}).items():
        if table not in existing:
            continue  # the topology no longer declares it
        for i in range(0, len(rows), 25):  # BatchWriteItem's limit
            batch: Any = {table: [{"PutRequest": {"Item": row}} for row in rows[i : i + 25]]}
            while batch:  # moto processes everything; AWS may hand some back
                batch = ddb.batch_write_item(RequestItems=batch).get("UnprocessedItems")
        items += len(rows)
    buckets = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket, entries in snapshot.get("buckets", {}).items():
        if bucket not in buckets:
            continue
        for o in entries:
            extra: dict[str, Any] = {"Metadata": o.get("metadata") or {}}
            if o.get("content_type"):
                extra["ContentType"] = o["content_type"]
            s3.put_object(Bucket=bucket, Key=o["key"], Body=base64.b64decode(o["body"]), **extra)
            objects += 1
    return Counts(items, objects, len(snapshot.get("secrets", {})))


class SnapshotStore:
    """`<run dir>/data/<region>.json`, replaced atomically."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / DIR_NAME

    def file(self, region: str) -> Path:
        return self.path / f"{region}.json"

    def load(self, region: str) -> dict[str, Any] | None:
        """The region's last complete snapshot, or None (none yet, or not one of ours)."""
        try:
            data = json.loads(self.file(region).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("format") == FORMAT else None

    def save(self, region: str, snapshot: dict[str, Any]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        target = self.file(region)
        tmp = target.with_suffix(".tmp")
        data = json.dumps(snapshot, separators=(",", ":")).encode()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        tmp.replace(target)  # atomic: the old snapshot or the new one, never half of each
        dir_fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself survives a power cut
        finally:
            os.close(dir_fd)

    def discard(self) -> int:
        """`up --fresh`: forget every snapshot; returns how many there were."""
        gone = 0
        for f in self.path.glob("*.json"):
            f.unlink()
            gone += 1
        return gone
