"""Replica writes: how replicated changes land in a destination region's global table.

AWS applies global-table replication through its own internal write path, not the public
PutItem API; the sandbox does the same. The replicator sends a batch of changes to the region
endpoint's `POST /_polyregion/dynamodb/apply`, and the endpoint applies each one inside the
region's store (moto's backend, in the endpoint's process):

- `put`: written if the stored item is strictly older than the change (stamps.stored_older)
  and no replicated delete at least as new reached this region (a tombstone, below);
- `delete`: leaves a tombstone, and removes the item if it exists and is strictly older; the
  REMOVE record this puts in the region's stream carries `DELETING` (the stamp) in its old
  image, so the replicator knows it as its own (an app never writes that attribute);
- `restore`: puts the winner back over a local write that lost (or anything else older than
  the winner), if an item is still there.

Items an app does not stamp (any app but the bundled blog) are ordered by the stamps this
store keeps per key, outside the item: every record added to a table's stream passes through
`on_stream_record` (under the same lock), which stamps a local write with the time, the region
and the record's sequence number, never older than the version it overwrote, and a replicated
write with the change's stamp; the stamp travels in the stream record (RECORD_STAMP, REPLICA),
so the replicator orders and recognises it without touching the item. These stamps live as
long as the endpoint process: after a restart an unstamped item counts as oldest again.

The tombstones here fence puts that arrive after a delete they are older than, however late:
a put checked against the replicator's tombstones, then delayed in flight (or held by a `slow`
fault and executed after its client gave up) while the delete was applied, would otherwise
re-create the item in this region only.

Check and write happen under the endpoint's write lock (endpoint._writes), so each one is as
atomic as a conditional write, and a replayed change fails its check and leaves no stream
record. Why not PutItem with a ConditionExpression over HTTP, as the replicator did first:
moto spends ~3 ms of CPU per such call (request dispatch and parsing the expression), which
capped the sandbox near 160 replicated writes/s per region pair on two cores; a batch here
costs one request plus ~0.1 ms per item.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, TypedDict

from polyregion.replication.checkpoint import Tombstones
from polyregion.replication.stamps import (
    DELETING,
    RECORD_STAMP,
    REPLICA,
    Image,
    Stamp,
    item_image,
    key_id,
    key_of,
    stamp_of,
)
from polyregion.topology import naming

if TYPE_CHECKING:
    import httpx

ROUTE: Final = "dynamodb/apply"
MAX_BATCH: Final = 500
_STAMP_ATTRS: Final = (naming.UPDATED_AT, naming.UPDATED_REGION, naming.VERSION)


class Op(TypedDict):
    op: Literal["put", "delete", "restore"]
    stamp: str  # Stamp.encode(): the change's stamp (for `restore`: the winner's)
    item: Image  # the item to write; for `delete`, its key


class ReplicaWriteError(Exception):
    """The endpoint refused a batch (a bad request or a missing table): not worth a retry."""


# -- the client: in the replicator ---------------------------------------------------------------
class ReplicaWriter:
    """Sends batches of replica writes to one region's endpoint over a kept-alive connection."""

    def __init__(self, region: str, endpoint: str, *, timeout_s: float = 5.0) -> None:
        import httpx

        self.region = region
        self._http: httpx.Client = httpx.Client(
            base_url=endpoint,
            timeout=httpx.Timeout(timeout_s, connect=1.0),
            trust_env=False,  # loopback only: never through a proxy from the environment
        )

    def apply(self, table: str, ops: Sequence[Op]) -> list[bool]:
        """Apply `ops` in order; True for each that was written, False for each that lost.

        Raises httpx errors when the endpoint is down or faulted (the caller retries the same
        batch: replays are harmless), ReplicaWriteError when it refuses the request.
        """
        out: list[bool] = []
        for start in range(0, len(ops), MAX_BATCH):
            chunk = list(ops[start : start + MAX_BATCH])
            body = json.dumps({"region": self.region, "table": table, "ops": chunk}, default=_wire)
            resp = self._http.post(
                f"/_polyregion/{ROUTE}",
                content=body.encode(),
                headers={"Content-Type": "application/json"},
            )
            if resp.status_code in (400, 404):
                raise ReplicaWriteError(f"{self.region}: {resp.text[:300]}")
            resp.raise_for_status()
            results = resp.json()["applied"]
            if len(results) != len(chunk):
                raise ReplicaWriteError(f"{self.region}: {len(results)} results for {len(chunk)}")
            out.extend(bool(r) for r in results)
        return out

    def close(self) -> None:
        self._http.close()


def _wire(value: Any) -> Any:
    """Binary attributes (B, BS) reach the replicator as bytes; DynamoDB JSON carries base64."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot send {type(value).__name__} in a replica write")


# -- the server: in the region endpoint ----------------------------------------------------------
class ReplicaStore:
    """Applies replica writes to one endpoint's moto backends, with the endpoint's tombstones."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.tombstones = Tombstones()
        self.clock = clock
        self._expired_at = 0.0
        self._lock = threading.Lock()
        # scope + key id -> the stamp of the item's last write (see the module docstring)
        self.stamps: dict[str, Stamp] = {}
        self._applying: Stamp | None = None  # the replica write in progress, if any

    def on_stream_record(self, table: Any, record: dict[str, Any]) -> None:
        """Stamp a record just added to `table`'s stream; the caller holds the write lock."""
        data = record["dynamodb"]
        kid = _scope(table.region_name, table.name) + key_id(data.get("Keys", {}))
        removed = record["eventName"] == "REMOVE"
        image = data.setdefault("OldImage" if removed else "NewImage", {})
        if self._applying is not None:
            stamp = self._applying
            if not removed:
                image[REPLICA] = {"S": stamp.encode()}
        else:
            now = int(self.clock() * 1000)
            previous = stamp_of(data.get("OldImage")) or self.stamps.get(kid)
            # A write happens after the version it overwrites, whatever the clocks say.
            at = max(now, previous.at + 1) if previous is not None else now
            stamp = Stamp(at, table.region_name, int(data.get("SequenceNumber", 0)))
            image[RECORD_STAMP] = {"S": stamp.encode()}
        self.stamps[kid] = stamp

    def apply_ops(
        self, backend: Any, region: str, table_name: str, ops: Sequence[Any]
    ) -> list[bool]:
        """Apply `ops` to `table_name` in moto's DynamoDB `backend`; the caller holds the
        endpoint's write lock."""
        table = backend.get_table(table_name)  # ResourceNotFoundException when missing
        now = self.clock()
        with self._lock:
            if now - self._expired_at > 60:
                self.tombstones.expire(int(now * 1000))
                self._expired_at = now
        scope = _scope(region, table_name)
        parsed = [_parse(op) for op in ops]  # a bad op refuses the batch before any write
        return [self._apply(table, scope, op) for op in parsed]

    def _apply(self, table: Any, scope: str, op: tuple[str, Stamp, Image]) -> bool:
        kind, stamp, item = op
        item = item_image(item)  # record-only markers are never stored on an item
        hash_key, range_key = _keys(table, item)
        attributes = tuple(a for a in (table.hash_key_attr, table.range_key_attr) if a)
        tomb_key = scope + key_id(key_of(item, attributes))
        stored = table.get_item(hash_key, range_key)
        # The item's own stamp if the app writes one, else the one kept here for its key.
        current = (
            None
            if stored is None
            else (stamp_of(_stamp_image(stored)) or self.stamps.get(tomb_key))
        )
        older = stored is None or current is None or current < stamp
        if kind == "delete":
            self.tombstones.record(tomb_key, stamp)
            if stored is None or not older:
                return False
            return self._applied(stamp, lambda: _delete_marked(table, hash_key, range_key, stamp))
        tomb = self.tombstones.get(tomb_key)
        if tomb is not None and tomb >= stamp:
            return False  # deleted after this write was made: never re-create it
        if kind == "restore" and stored is None:
            return False  # deleted meanwhile: nothing to repair
        if not older:
            return False
        # overwrite: no condition left to evaluate
        return self._applied(stamp, lambda: table.put_item(item, overwrite=True) is not None)

    def _applied(self, stamp: Stamp, write: Callable[[], bool]) -> bool:
        """Run a replica write with its stamp known to on_stream_record."""
        self._applying = stamp
        try:
            write()
        finally:
            self._applying = None
        return True


def _scope(region: str, table_name: str) -> str:
    return f"{region}\x1e{table_name}\x1e"


def _parse(raw: Any) -> tuple[str, Stamp, Image]:
    if not isinstance(raw, dict):
        raise ValueError("each op must be an object")
    kind, item = raw.get("op"), raw.get("item")
    if kind not in ("put", "delete", "restore") or not isinstance(item, dict):
        raise ValueError("op must be put, delete or restore, with an item")
    return str(kind), Stamp.decode(str(raw["stamp"])), item


def _stamp_image(stored: Any) -> Image | None:
    """The stamp attributes of a moto Item, in DynamoDB JSON (all stamps_of needs)."""
    if stored is None:
        return None
    attrs = stored.attrs
    return {k: attrs[k].to_json() for k in _STAMP_ATTRS if k in attrs}


def _keys(table: Any, item: Image) -> tuple[Any, Any]:
    from moto.dynamodb.models.dynamo_type import DynamoType

    hash_key = DynamoType(item[table.hash_key_attr])
    range_key = DynamoType(item[table.range_key_attr]) if table.range_key_attr else None
    return hash_key, range_key


def _delete_marked(table: Any, hash_key: Any, range_key: Any, stamp: Stamp) -> bool:
    shard = table.stream_shard
    mark = len(shard.items) if shard is not None else 0
    table.delete_item(hash_key, range_key)
    if shard is not None and len(shard.items) == mark + 1:
        # Readers take the same lock (endpoint.bounded_get_records): nobody has seen the record.
        old = shard.items[mark].record["dynamodb"].setdefault("OldImage", {})
        old[DELETING] = {"S": stamp.encode()}
    elif shard is not None:  # every write is serialized (endpoint._patch_transactions)
        raise RuntimeError("the REMOVE record of a replicated delete was not where expected")
    return True
