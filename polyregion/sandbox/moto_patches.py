"""moto's fixes for the sandbox's region endpoints (aws_endpoint.py), applied once per process.

moto is built for unit tests; the sandbox runs it for hours under concurrent writers and a
replicator reading streams every few ms. What it needs, each explained where it is done:
- stream records get unique sequence numbers under concurrent writes, and ring a doorbell
  (STREAM_CHANGED) that a stream reader can wait on instead of polling;
- DynamoDB writes are serialized (WRITES) so a cancelled transaction cannot orphan a stream;
- handed-out shard iterators are bounded, and moto stops keeping every model object it ever
  made (`instances_tracked`): both grew the endpoint without bound;
- two per-request lookups that never change are cached, GetRecords answers are written as
  JSON directly instead of through moto's model-driven serializer (~1 ms per record), and a
  new item's size is checked once instead of once per attribute;
- S3 objects carry `x-amz-replication-status` when an extension sets it (STATUS_ATTR).
"""

from __future__ import annotations

import base64
import calendar
import datetime
import json
import threading
from collections.abc import Callable
from typing import Any, Final

MAX_SHARD_ITERATORS: Final = 20_000
ITEM_SIZE_LIMIT: Final = 405_000  # moto's own figure (AWS: 400 KB, measured 409-410 KB)
STATUS_ATTR: Final = "_polyregion_replication_status"
# Every DynamoDB write of this endpoint, and stream reads, serialized (see _patch_transactions).
WRITES = threading.RLock()
# Notified whenever a stream record is added: a stream reader's doorbell waits on it.
STREAM_CHANGED = threading.Condition()
# Called with (table, record) for every record added to a stream, under STREAM_CHANGED: the
# replica store stamps it (replica_writes.ReplicaStore.on_stream_record).
RECORD_HOOKS: list[Callable[[Any, dict[str, Any]], None]] = []
# moto's own GetRecords handler, kept for comparison (tests) once _fast_get_records replaced it.
MOTO_GET_RECORDS: Any = None


def apply() -> None:
    """Patch moto once per process (idempotent): see the module docstring."""
    from moto.dynamodb.models.table import StreamShard
    from moto.s3.models import FakeKey

    if getattr(FakeKey, "_polyregion_patched", False):
        return
    # moto numbers a stream record len(records) + start without a lock: two writes served by
    # two threads at once get the same sequence number, and readers then see one twice.
    add: Any = StreamShard.add

    def locked_add(self: Any, old: Any, new: Any) -> None:
        with STREAM_CHANGED:
            add(self, old, new)
            for hook in RECORD_HOOKS:
                hook(self.table, self.items[-1].record)
            STREAM_CHANGED.notify_all()  # ring the doorbell (_stream_wait)

    StreamShard.add = locked_add  # type: ignore[method-assign]
    _patch_transactions()
    _cache_dispatch_lookups()
    _stop_tracking_instances()
    _fast_get_records()
    _size_new_items_once()

    # moto keeps every shard iterator it ever handed out (each get_records makes a new one):
    # a replicator polling every few ms would grow the endpoint without bound. Keep the most
    # recent ones, as AWS expires iterators (after 15 minutes) instead of keeping them forever.
    from moto.core.exceptions import JsonRESTError
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    get_records: Any = DynamoDBStreamsBackend.get_records

    def bounded_get_records(self: Any, iterator_arn: str, limit: int) -> Any:
        if iterator_arn not in self.shard_iterators:
            # Never handed out, or dropped below: what AWS says of an iterator it no longer
            # honours (a 400 the reader recovers from), where moto raised KeyError (a 500).
            raise JsonRESTError(
                "ExpiredIteratorException", "Iterator expired: get a new shard iterator."
            )
        with WRITES:  # never hand out records a transaction in progress may still roll back
            result = get_records(self, iterator_arn, limit)
        iterators = self.shard_iterators
        if len(iterators) > MAX_SHARD_ITERATORS:
            for arn in list(iterators)[: len(iterators) - MAX_SHARD_ITERATORS // 2]:
                iterators.pop(arn, None)
        return result

    DynamoDBStreamsBackend.get_records = bounded_get_records  # type: ignore[method-assign]
    original: Any = FakeKey.response_dict

    def response_dict(self: Any) -> dict[str, Any]:
        res: dict[str, Any] = original.fget(self)
        status = getattr(self, STATUS_ATTR, None)
        if status:
            res["x-amz-replication-status"] = status
        return res

    FakeKey.response_dict = property(response_dict)  # type: ignore[method-assign,assignment]
    FakeKey._polyregion_patched = True  # type: ignore[attr-defined]


class _Untracked(list[Any]):
    """A list that keeps nothing (see _stop_tracking_instances)."""

    def append(self, item: Any) -> None:
        pass


def _stop_tracking_instances() -> None:
    """moto appends every model object it ever creates to its class's `instances_tracked`
    (for its dashboard, which the sandbox never uses), so nothing it stores is ever freed:
    every overwritten item, every stream record, every shard iterator (one per GetRecords)
    and every table copy a transaction makes stayed in memory for good. Stop that for the
    high-volume DynamoDB classes; and a transaction's backup copy shares the live stream
    shard instead of copying every record (_patch_transactions puts the live one back
    anyway), which made each transaction cost O(records) under the write lock."""
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import StreamRecord, StreamShard, Table
    from moto.dynamodbstreams.models import ShardIterator

    for cls in (Item, StreamRecord, StreamShard, Table, ShardIterator):
        setattr(cls, "instances_tracked", _Untracked())  # noqa: B010 - a class attribute moto declares untyped
    StreamShard.__deepcopy__ = lambda self, memo: self  # type: ignore[attr-defined]


def _cache_dispatch_lookups() -> None:
    """Cache two answers moto recomputes on every request, which never change in a process:
    the list of its service packages (an os.listdir plus a stat per package, twice per
    request) and the handler methods of a response class (inspect.getmembers). Caching them
    cut a PutItem from 1.77 to 1.43 ms of endpoint CPU (bench/endpoint.py)."""
    import functools

    import moto.backends
    import moto.core.responses

    modules = tuple(moto.backends.list_of_moto_modules())
    moto.backends.list_of_moto_modules = lambda: modules
    responses: Any = moto.core.responses
    responses.method_names_from_class = functools.cache(responses.method_names_from_class)


def _fast_get_records() -> None:
    """Answer GetRecords with `json.dumps` of the records as stored, not through moto's
    generic response serializer. That serializer walks every attribute of every image
    against the botocore shapes (AttributePicker, per key and per member): ~1 ms of endpoint
    CPU per record (bench/endpoint.py), so a replicator reading a batch of 10-50 records held
    the source endpoint's GIL for 10-50 ms, the largest share of replication overhead at 200
    writes/s. The records already are DynamoDB JSON (moto's StreamRecord.to_json); only the
    creation time (epoch seconds, truncated to ms, as the serializer writes it) and binary
    attributes (base64) need converting, so the answer is byte-for-byte what boto3 parses
    from the serializer's (tests/sandbox/test_moto_patches.py compares the two)."""
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    global MOTO_GET_RECORDS
    MOTO_GET_RECORDS = DynamoDBStreamsHandler.get_records

    def get_records(self: Any) -> str:
        iterator = self._get_param("ShardIterator")
        limit = self._get_param("Limit")
        result = self.backend.get_records(iterator, 1000 if limit is None else limit)
        self.response_headers["Content-Type"] = "application/x-amz-json-1.0"
        return json.dumps(result, default=_wire_value, separators=(",", ":"))

    DynamoDBStreamsHandler.get_records = get_records  # type: ignore[method-assign,assignment]


def _wire_value(value: Any) -> Any:
    """What the AWS JSON protocol puts on the wire for what json cannot encode itself."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:  # moto's utcnow() is naive UTC
            value = value.replace(tzinfo=datetime.UTC)
        seconds = calendar.timegm(value.utctimetuple())
        return seconds + (value.microsecond // 1000) / 1000.0 if value.microsecond else seconds
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot put {type(value).__name__} in a GetRecords answer")


def _size_new_items_once() -> None:
    """Check a new item's 400 KB limit once, not once per attribute. moto's item dict
    re-sums the size of every attribute already set each time one is set (O(n²) per item):
    with six attributes that was 0.27 of the 0.56 ms moto's backend spends per PutItem, paid
    by every write and every replicated copy. The outcome is the same: sizes only add up, so
    the sum of the finished item exceeds the limit exactly when some partial sum did. Later
    changes to an item (UpdateItem) still go through moto's own check."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize

    def __init__(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        values = {key: DynamoType(value) for key, value in attrs.items()}
        if sum(bytesize(k) + v.size() for k, v in values.items()) > ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        self.attrs = LimitedSizeDict()
        dict.update(self.attrs, values)  # the values are checked: past the per-key check

    Item.__init__ = __init__  # type: ignore[method-assign]


def _serialized(method: Any) -> Any:
    def locked(*args: Any, **kwargs: Any) -> Any:
        with WRITES:
            return method(*args, **kwargs)

    return locked


def _patch_transactions() -> None:
    """Keep a table's stream alive across a cancelled TransactWriteItems.

    moto backs up every table a transaction touches with `copy.deepcopy(table)` and, when the
    transaction is cancelled (a condition failed: a slug already claimed, a retried request),
    puts the *copy* in place of the table. The copy carries a copy of the stream shard, so every
    shard iterator handed out before (they hold the shard object) keeps reading the orphaned
    shard: GetRecords answers no records, forever, without an error, and the replicator stops
    copying that region's writes (the "stall after drills"). The deepcopy also raced with
    writes served by other threads ("dictionary changed size during iteration", a 500).

    So writes are serialized (the backup is consistent and no write lands between backup and
    rollback, where the rollback would silently drop it), and after a rollback the live shard
    goes back on the restored table, without the records of the writes that were undone (no
    reader saw them: GetRecords takes the same lock).
    """
    from moto.dynamodb.models import DynamoDBBackend

    writers = ("put_item", "update_item", "delete_item")
    partiql = ("execute_statement", "execute_transaction", "batch_execute_statement")
    for name in writers + partiql:
        setattr(DynamoDBBackend, name, _serialized(getattr(DynamoDBBackend, name)))
    transact: Any = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: Any) -> Any:
        with WRITES:
            live = dict(self.tables)
            marks = {n: len(t.stream_shard.items) for n, t in live.items() if t.stream_shard}
            try:
                return transact(self, transact_items)
            finally:
                for name, table in live.items():
                    restored = self.tables.get(name)
                    shard = table.stream_shard
                    if restored is not None and restored is not table and shard is not None:
                        with STREAM_CHANGED:  # the doorbell reads items[-1]
                            del shard.items[marks[name] :]
                        shard.table = restored
                        restored.stream_shard = shard

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
