"""The global table: turn one region's stream records into changes for the other regions.

Rules (docs/replication.md explains them):
- Echo: a record whose new image carries another region in `updated_region` was written by the
  replicator; a replicator delete first marks the item (`DELETING`, with a one-off token it
  remembers, crash-safely, in `own_deletes`), so the MODIFY and REMOVE it causes are known.
  Both are skipped, so nothing is replicated twice around the regions. (An app deleting an
  item while it carries a marker is told apart by the token: its REMOVE is a local delete.)
- Last writer wins by stamp (stamps.py); every apply is conditional on "strictly newer".
- Deletes: a local delete is stamped after the version it removed (max(stream time, its
  `updated_at` + 1)) and leaves a tombstone, so a write older than the delete cannot come back,
  whichever order regions receive them in.
- Local writes that lose: an app may write an item with a stamp older than the version it
  overwrote (its clock read before a replicated write landed). LWW says the older one loses,
  so the replicator puts the winner back in that region instead of replicating the loser.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from polyregion.replication.checkpoint import Tombstones
from polyregion.replication.stamps import (
    DELETING,
    Image,
    Stamp,
    key_id,
    key_of,
    older_than,
    same_stamp,
    stamp_of,
)
from polyregion.topology import naming

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass(frozen=True)
class Change:
    """One change to carry from `source` to the other regions."""

    kind: Literal["put", "delete"]
    source: str
    key: dict[str, Any]
    stamp: Stamp
    image: Image | None = None  # the item to put (None for deletes)

    @property
    def key_id(self) -> str:
        return key_id(self.key)


@dataclass
class Classified:
    change: Change | None  # None: nothing to replicate (echo, or a write that lost)
    reason: str  # why, for counters and events


def _ms(value: Any) -> int:
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    return int(float(value) * 1000)


def _conditional_failed(exc: Exception) -> bool:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code")
    return bool(code == "ConditionalCheckFailedException")


@dataclass
class TableReplication:
    table: str
    clients: Mapping[str, DynamoDBClient]
    tombstones: Tombstones = field(default_factory=Tombstones)
    own_deletes: Tombstones = field(default_factory=lambda: Tombstones(retention_ms=3600_000))
    repairs: int = 0

    # -- reading a source stream ------------------------------------------------------------
    def classify(self, home: str, record: dict[str, Any]) -> Classified:
        data = record["dynamodb"]
        new: Image | None = data.get("NewImage")
        old: Image | None = data.get("OldImage")
        at_ms = _ms(data.get("ApproximateCreationDateTime", 0))
        if record["eventName"] == "REMOVE":
            if old is None:
                return Classified(None, "echo")
            marker = old.get(DELETING, {}).get("S")
            if marker is not None and self.own_deletes.get(marker.rsplit("|", 1)[-1]):
                return Classified(None, "echo")
            old = {k: v for k, v in old.items() if k != DELETING}
            return self._local_delete(home, old, at_ms)
        assert new is not None
        if DELETING in new and (old is None or old.get(DELETING) != new[DELETING]):
            return Classified(None, "echo")
        writer = new.get(naming.UPDATED_REGION, {}).get("S")
        if writer is not None and writer != home:
            return Classified(None, "echo")
        image = {k: v for k, v in new.items() if k != DELETING}
        stamp = stamp_of(image)
        if stamp is None:
            # Written by something other than the app: stamp it with the stream's clock so
            # the copies can take part in LWW (the source item itself stays unstamped).
            stamp = Stamp(at_ms, home, 0)
            image[naming.UPDATED_AT] = {"N": str(stamp.at)}
            image[naming.UPDATED_REGION] = {"S": home}
        key = key_of(image)
        previous = stamp_of(old)
        if previous is not None and previous > stamp and old is not None:
            self._restore(home, old, stamp)
            return Classified(None, "lost-locally")
        tomb = self.tombstones.get(key_id(key))
        if tomb is not None and tomb >= stamp:
            self.delete_if_older(home, key, tomb)
            self.repairs += 1
            return Classified(None, "deleted-later")
        return Classified(Change("put", home, key, stamp, image), "local-write")

    def _local_delete(self, home: str, old: Image, at_ms: int) -> Classified:
        key = key_of(old)
        prev = stamp_of(old)
        # A delete happened after the version it removed, whatever the clocks say.
        stamp = Stamp(max(at_ms, prev.at + 1 if prev else 0), home, prev.version + 1 if prev else 0)
        self.tombstones.record(key_id(key), stamp)
        # A stale replicated write may have re-created the item here between the delete and
        # this read: enforce the delete locally too (a no-op when the item is gone).
        self.delete_if_older(home, key, stamp)
        return Classified(Change("delete", home, key, stamp), "local-delete")

    def _restore(self, home: str, winner: Image, loser: Stamp) -> None:
        """Put back the newer version a local write overwrote, unless something replaced it,
        it is being deleted (marked), or a delete newer than it is known."""
        key = key_of(winner)
        tomb = self.tombstones.get(key_id(key))
        won = stamp_of(winner)
        if tomb is not None and won is not None and tomb >= won:
            self.delete_if_older(home, key, tomb)
            return
        expr, names, values = same_stamp(loser)
        expr += " AND attribute_not_exists(#m)"
        names["#m"] = DELETING
        try:
            self.clients[home].put_item(
                TableName=self.table,
                Item={k: v for k, v in winner.items() if k != DELETING},
                ConditionExpression=expr,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
            self.repairs += 1
        except Exception as exc:
            if not _conditional_failed(exc):
                raise

    # -- applying to a destination ------------------------------------------------------------
    def apply(self, destination: str, change: Change) -> bool:
        """Apply `change` in `destination` if it wins there; False when LWW drops it."""
        if change.kind == "delete":
            return self.delete_if_older(destination, change.key, change.stamp)
        tomb = self.tombstones.get(change.key_id)
        if tomb is not None and tomb >= change.stamp:
            return False  # deleted after this write: never resurrect
        assert change.image is not None
        expr, names, values = older_than(change.stamp)
        try:
            self.clients[destination].put_item(
                TableName=self.table,
                Item=change.image,
                ConditionExpression=expr,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except Exception as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def delete_if_older(self, region: str, key: dict[str, Any], stamp: Stamp) -> bool:
        """Delete the item in `region` if older than `stamp`, marking it first (see DELETING)."""
        ddb = self.clients[region]
        expr, names, values = older_than(stamp, must_exist=True)
        token = uuid.uuid4().hex
        names["#m"] = DELETING
        values[":m"] = {"S": f"{stamp.encode()}|{token}"}
        # Remembered before the delete: a crash between the two must not turn this
        # replicator's own REMOVE into a "local delete" after the restart.
        self.own_deletes.record(token, stamp)
        try:
            ddb.update_item(
                TableName=self.table,
                Key=key,
                UpdateExpression="SET #m = :m",
                ConditionExpression=expr,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
            ddb.delete_item(
                TableName=self.table,
                Key=key,
                ConditionExpression="#m = :m",
                ExpressionAttributeNames={"#m": DELETING},
                ExpressionAttributeValues={":m": values[":m"]},
            )
        except Exception as exc:
            self.own_deletes.discard(token)
            if _conditional_failed(exc):
                return False
            raise
        return True
