"""Replica writes: how replicated changes land in a destination region's global table.

AWS applies global-table replication through its own internal write path, not the public
PutItem API; the sandbox does the same. The replicator sends a batch of changes to the region
endpoint's `POST /_polyregion/dynamodb/apply`, and the endpoint applies each one inside the
region's store (moto's backend, in the endpoint's process):

- `put`: written if the stored item is strictly older than the change (stamps.stored_older);
- `delete`: the item is removed if it exists and is strictly older; the REMOVE record this puts
  in the region's stream carries `DELETING` (the stamp) in its old image, so the replicator
  knows it as its own (an app never writes that attribute);
- `restore`: the winner is put back over a local write that lost, if that loser is still there.

Check and write happen under the endpoint's write lock (endpoint._writes), so each one is as
atomic as a conditional write, and a replayed change fails its check and leaves no stream
record. Why not PutItem with a ConditionExpression over HTTP, as the replicator did first:
moto spends ~3 ms of CPU per such call (request dispatch and parsing the expression), which
capped the sandbox near 160 replicated writes/s per region pair on two cores; a batch here
costs one request plus ~0.1 ms per item.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, TypedDict

from polyregion.replication.stamps import DELETING, Image, Stamp, stored_is, stored_older
from polyregion.topology import naming

if TYPE_CHECKING:
    import httpx

ROUTE: Final = "dynamodb/apply"
MAX_BATCH: Final = 500
_STAMP_ATTRS: Final = (naming.UPDATED_AT, naming.UPDATED_REGION, naming.VERSION)


class Op(TypedDict):
    op: Literal["put", "delete", "restore"]
    stamp: str  # Stamp.encode(): the change's stamp (for `restore`: the loser's)
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
            resp = self._http.post(
                f"/_polyregion/{ROUTE}",
                json={"region": self.region, "table": table, "ops": chunk},
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


# -- the server: in the region endpoint ----------------------------------------------------------
def apply_ops(backend: Any, table_name: str, ops: Sequence[Any]) -> list[bool]:
    """Apply `ops` to `table_name` in moto's DynamoDB `backend`; the caller holds the lock."""
    table = backend.get_table(table_name)  # ResourceNotFoundException when missing
    return [_apply(table, _parse(op)) for op in ops]


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


def _apply(table: Any, op: tuple[str, Stamp, Image]) -> bool:
    kind, stamp, item = op
    hash_key, range_key = _keys(table, item)
    current = _stamp_image(table.get_item(hash_key, range_key))
    if kind == "put":
        if not stored_older(current, stamp):
            return False
        table.put_item(item, overwrite=True)  # overwrite: no condition left to evaluate
        return True
    if kind == "restore":
        if current is None or not stored_is(current, stamp):
            return False  # the loser was replaced or deleted meanwhile: nothing to repair
        table.put_item(item, overwrite=True)
        return True
    if current is None or not stored_older(current, stamp):
        return False
    shard = table.stream_shard
    mark = len(shard.items) if shard is not None else 0
    table.delete_item(hash_key, range_key)
    if shard is not None and len(shard.items) == mark + 1:
        # Readers take the same lock (endpoint.bounded_get_records): nobody has seen the record.
        old = shard.items[mark].record["dynamodb"].setdefault("OldImage", {})
        old[DELETING] = {"S": stamp.encode()}
    return True
