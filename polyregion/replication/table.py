"""A global table: turn one region's stream records into changes for the other regions.

Works for any key schema (the table's key attributes come with it) and any item: an item the
app stamps is ordered by its stamp, any other by the stamp its region's endpoint put in the
stream record (stamps.py).

Rules (docs/replication.md explains them):
- Echo: a record whose new image carries `REPLICA`, or another region in `updated_region`, was
  written by the replicator, and so was a REMOVE whose old image carries `DELETING`
  (replica_writes.py puts these in records, and an app never writes them). Both are skipped,
  so nothing goes around twice.
- Last writer wins by stamp (stamps.py); every replica write is checked "strictly newer" and
  written atomically in the destination (replica_writes.py).
- Deletes: a local delete is stamped after the version it removed (max(stream time, its
  `updated_at` + 1)) and leaves a tombstone, so a write older than the delete cannot come back,
  whichever order regions receive them in. A delete that finds no item writes nothing (no
  stream record, as on AWS), so there is nothing to replicate.
- Local writes that lose: an app may write an item with a stamp older than the version it
  overwrote (its clock read before a replicated write landed). LWW says the older one loses,
  so the replicator puts the winner back in that region instead of replicating the loser.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from polyregion.replication.checkpoint import Tombstones
from polyregion.replication.replica_writes import Op, ReplicaWriter
from polyregion.replication.stamps import (
    DELETING,
    REPLICA,
    Image,
    Stamp,
    item_image,
    key_id,
    key_of,
    record_stamp,
    stamp_of,
)
from polyregion.topology import naming


@dataclass(frozen=True)
class Change:
    """One change to carry from `source` to the other regions."""

    kind: Literal["put", "delete"]
    source: str
    key: dict[str, Any]
    stamp: Stamp
    image: Image | None = None  # the item to put (None for deletes)
    table: str = ""  # the physical table (TableReplication.table)
    # When the source region recorded it (its stream record's creation time, epoch ms):
    # replication lag is measured from here, as AWS's ReplicationLatency is. Not from the
    # stamp: an app may stamp a write well before it makes it (the blog's sign-up reads its
    # clock, then spends 0.3-2 s hashing the password), and that is no replication lag.
    written_ms: int | None = None

    @property
    def since_ms(self) -> int:
        """The moment replication lag counts from (the stamp's time if nothing better)."""
        return self.written_ms if self.written_ms is not None else self.stamp.at

    @property
    def key_id(self) -> str:
        return f"{self.table}\x1e{key_id(self.key)}" if self.table else key_id(self.key)


@dataclass
class Classified:
    change: Change | None  # None: nothing to replicate (echo, or a write that lost)
    reason: str  # why, for counters and events


def _ms(value: Any) -> int:
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    return int(float(value) * 1000)


@dataclass
class TableReplication:
    table: str
    writers: Mapping[str, ReplicaWriter]
    tombstones: Tombstones = field(default_factory=Tombstones)
    repairs: int = 0
    # The table's key attribute names, partition key first (TableSpec.key_attributes).
    key_attributes: tuple[str, ...] = (naming.PARTITION_KEY, naming.SORT_KEY)
    # Tombstones of several tables share one store: ids are scoped by table when set.
    scoped: bool = False

    def _key(self, image: Image) -> dict[str, Any]:
        return key_of(image, self.key_attributes)

    def _id(self, key: dict[str, Any]) -> str:
        return f"{self.table}\x1e{key_id(key)}" if self.scoped else key_id(key)

    def _change(
        self,
        kind: Literal["put", "delete"],
        home: str,
        key: dict[str, Any],
        stamp: Stamp,
        image: Image | None = None,
        written_ms: int = 0,
    ) -> Change:
        table = self.table if self.scoped else ""
        return Change(kind, home, key, stamp, image, table, written_ms or None)

    # -- reading a source stream ------------------------------------------------------------
    def classify(self, home: str, record: dict[str, Any]) -> Classified:
        data = record["dynamodb"]
        new: Image | None = data.get("NewImage")
        old: Image | None = data.get("OldImage")
        at_ms = _ms(data.get("ApproximateCreationDateTime", 0))
        if record["eventName"] == "REMOVE":
            if old is None or DELETING in old:
                return Classified(None, "echo")
            return self._local_delete(home, old, at_ms)
        assert new is not None
        writer = new.get(naming.UPDATED_REGION, {}).get("S")
        if REPLICA in new or (writer is not None and writer != home):
            return Classified(None, "echo")
        image = item_image(new)  # never replicate what endpoints add to records
        # The app's own stamp; else the endpoint's (time, region, sequence number); else,
        # from an endpoint that stamps nothing, the stream's clock.
        stamp = stamp_of(image) or record_stamp(new) or Stamp(at_ms, home, 0)
        key = self._key(image)
        previous = stamp_of(old)
        if previous is not None and previous > stamp and old is not None:
            self._restore(home, old, previous)
            return Classified(None, "lost-locally")
        tomb = self.tombstones.get(self._id(key))
        if tomb is not None and tomb >= stamp:
            self.delete_if_older(home, key, tomb)
            self.repairs += 1
            return Classified(None, "deleted-later")
        return Classified(self._change("put", home, key, stamp, image, at_ms), "local-write")

    def _local_delete(self, home: str, old: Image, at_ms: int) -> Classified:
        key = self._key(old)
        prev = stamp_of(old)
        if prev is not None:
            # A delete happened after the version it removed, whatever the clocks say.
            stamp = Stamp(max(at_ms, prev.at + 1), home, prev.version + 1)
        else:  # the endpoint's stamp already follows the removed version
            stamp = record_stamp(old) or Stamp(at_ms, home, 0)
        self.tombstones.record(self._id(key), stamp)
        # A stale replicated write may have re-created the item here between the delete and
        # this read: enforce the delete locally too (a no-op when the item is gone).
        self.delete_if_older(home, key, stamp)
        return Classified(self._change("delete", home, key, stamp, None, at_ms), "local-delete")

    def _restore(self, home: str, winner: Image, won: Stamp) -> None:
        """Put back the newer version a local write overwrote, over whatever older version is
        there now (the loser, or a replicated write that landed since), unless the item was
        deleted meanwhile or a delete newer than the winner is known."""
        key = self._key(winner)
        tomb = self.tombstones.get(self._id(key))
        if tomb is not None and tomb >= won:
            self.delete_if_older(home, key, tomb)
            return
        winner = item_image(winner)
        op: Op = {"op": "restore", "stamp": won.encode(), "item": winner}
        if self.writers[home].apply(self.table, [op])[0]:
            self.repairs += 1

    # -- applying to a destination ------------------------------------------------------------
    def apply(self, destination: str, changes: Sequence[Change]) -> list[bool]:
        """Apply `changes`, in order, in `destination`; for each, False when LWW drops it.

        One request for the whole batch; the caller retries it whole on an error (replays of
        changes already applied fail their check and change nothing)."""
        results: list[bool | None] = []
        ops: list[Op] = []
        for change in changes:
            if change.kind == "delete":
                ops.append({"op": "delete", "stamp": change.stamp.encode(), "item": change.key})
                results.append(None)
                continue
            tomb = self.tombstones.get(change.key_id)
            if tomb is not None and tomb >= change.stamp:
                results.append(False)  # deleted after this write: never resurrect
                continue
            assert change.image is not None
            ops.append({"op": "put", "stamp": change.stamp.encode(), "item": change.image})
            results.append(None)
        applied = iter(self.writers[destination].apply(self.table, ops) if ops else [])
        out = [next(applied) if r is None else r for r in results]
        for change, ok in zip(changes, out, strict=True):
            # A local delete in the destination may have been read, and its tombstone
            # recorded, while this put was in flight there: enforce it now that the put landed.
            tomb = self.tombstones.get(change.key_id) if ok and change.kind == "put" else None
            if tomb is not None and tomb >= change.stamp:
                self.delete_if_older(destination, change.key, tomb)
        return out

    def delete_if_older(self, region: str, key: dict[str, Any], stamp: Stamp) -> bool:
        """Delete the item in `region` if it is older than `stamp`."""
        op: Op = {"op": "delete", "stamp": stamp.encode(), "item": key}
        return self.writers[region].apply(self.table, [op])[0]
