"""What a region's AWS endpoint process hosts for replication (moto has none of it).

moto stores an S3 replication configuration but copies nothing and has no replication status;
its Secrets Manager replicas only exist inside one server. The sandbox runs one moto process
per region, so the replication service lives in the replicator, and each region endpoint only
needs the parts AWS keeps *inside* a region's service:

- `x-amz-replication-status` on head_object/get_object: PENDING for new versions written to a
  bucket whose replication configuration matches the key, COMPLETED once the replicator has
  copied them, REPLICA on copies (moto's FakeKey gains the attribute; its header is added to
  the response moto builds anyway).
- Replica writes for the global table (`/_polyregion/dynamodb/apply`, replica_writes.py):
  replicated changes applied inside the region's store with the LWW check, as AWS applies them
  through its own internal path rather than the public API.
- A replica write path (`/_polyregion/s3/...`), the equivalent of S3's internal replication
  writes: the copy keeps the source's version id, as S3 replication does, so re-copying after
  a crash is detectably a no-op.
- Read-only secret replicas: the replicator declares which secrets of this region are replicas
  (`/_polyregion/secrets/replica`, as ReplicateSecretToRegions marks them on AWS); writes to
  them are then refused with AWS's InvalidRequestException unless they come from the
  replicator itself (REPLICATOR_HEADER).

`wrap(app)` adds these to moto's WSGI app; the sandbox's region endpoint
(`polyregion.sandbox.aws_endpoint`) serves the result under uvicorn.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any, Final

from polyregion.replication import replica_writes

PREFIX: Final = "/_polyregion/"
STREAM_WAIT_ROUTE: Final = "dynamodb/stream-wait"
REPLICATOR_HEADER: Final = "X-Polyregion-Replicator"
STATUS_ATTR: Final = "_polyregion_replication_status"
MAX_SHARD_ITERATORS: Final = 20_000
SECRET_WRITES: Final = frozenset(
    {
        "PutSecretValue", "UpdateSecret", "UpdateSecretVersionStage", "RotateSecret",
        "CancelRotateSecret", "DeleteSecret", "RestoreSecret", "TagResource", "UntagResource",
        "PutResourcePolicy", "DeleteResourcePolicy",
    }
)  # fmt: skip
# Object subresources whose PUT/POST does not create a new version.
_SUBRESOURCES: Final = frozenset(
    {"tagging", "acl", "retention", "legal-hold", "restore", "select", "attributes"}
)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
_lock = threading.Lock()
# Every DynamoDB write of this endpoint, and stream reads, serialized (see _patch_transactions).
_writes = threading.RLock()
# Notified whenever a stream record is added: the replicator's stream doorbell waits on it.
_stream_changed = threading.Condition()
# Called with (table, record) for every record added to a stream, under the write lock: the
# replica store stamps it (replica_writes.ReplicaStore.on_stream_record).
_record_hooks: list[Callable[[Any, dict[str, Any]], None]] = []
MAX_STREAM_WAIT_S: Final = 10.0


def _patch_moto() -> None:
    """Make moto's object headers carry the replication status, and give stream records
    unique sequence numbers under concurrent writes (once per process)."""
    from moto.dynamodb.models.table import StreamShard
    from moto.s3.models import FakeKey

    if getattr(FakeKey, "_polyregion_patched", False):
        return
    # moto numbers a stream record len(records) + start without a lock: two writes served by
    # two threads at once get the same sequence number, and readers then see one twice.
    add: Any = StreamShard.add

    def locked_add(self: Any, old: Any, new: Any) -> None:
        with _stream_changed:
            add(self, old, new)
            for hook in _record_hooks:
                hook(self.table, self.items[-1].record)
            _stream_changed.notify_all()  # ring the doorbell (_stream_wait)

    StreamShard.add = locked_add  # type: ignore[method-assign]
    _patch_transactions()
    _cache_dispatch_lookups()
    _stop_tracking_instances()

    # moto keeps every shard iterator it ever handed out (each get_records makes a new one):
    # a replicator polling every few ms would grow the endpoint without bound. Keep the most
    # recent ones, as AWS expires iterators (after 15 minutes) instead of keeping them forever.
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    get_records: Any = DynamoDBStreamsBackend.get_records

    def bounded_get_records(self: Any, iterator_arn: str, limit: int) -> Any:
        with _writes:  # never hand out records a transaction in progress may still roll back
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


def _serialized(method: Any) -> Any:
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _writes:
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
        with _writes:
            live = dict(self.tables)
            marks = {n: len(t.stream_shard.items) for n, t in live.items() if t.stream_shard}
            try:
                return transact(self, transact_items)
            finally:
                for name, table in live.items():
                    restored = self.tables.get(name)
                    shard = table.stream_shard
                    if restored is not None and restored is not table and shard is not None:
                        with _stream_changed:  # the doorbell reads items[-1]
                            del shard.items[marks[name] :]
                        shard.table = restored
                        restored.stream_shard = shard

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _s3_backend() -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
    from moto.s3.models import s3_backends

    return s3_backends[DEFAULT_ACCOUNT_ID]["aws"]


def _rules_match(backend: Any, bucket: str, key: str) -> bool:
    try:
        config = backend.get_bucket_replication(bucket)
    except Exception:
        return False
    for rule in (config or {}).get("Rule", []):
        if rule.get("Status") != "Enabled":
            continue
        flt = rule.get("Filter") or {}
        prefix = flt.get("Prefix", rule.get("Prefix", "")) or ""
        if key.startswith(prefix):
            return True
    return False


def _find_version(backend: Any, bucket: str, key: str, version_id: str) -> Any:
    for v in backend.get_bucket(bucket).keys.getlist(key, []):
        if str(v.version_id) == version_id:
            return v
    return None


class ReplicationExtension:
    def __init__(self, app: WsgiApp) -> None:
        _patch_moto()
        self.app = app
        self.replica_secrets: dict[str, str] = {}  # secret name -> its primary region
        self.replica_store = replica_writes.ReplicaStore()
        _record_hooks[:] = [self.replica_store.on_stream_record]  # one store per process

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(PREFIX):
            return self._extension(environ, start_response, path[len(PREFIX) :])
        method = environ["REQUEST_METHOD"]
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith("secretsmanager.") and self.replica_secrets:
            refused = self._guard_secret(environ, target.split(".", 1)[1])
            if refused is not None:
                return self._json(start_response, 400, refused)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, *rest)

        result = self.app(environ, capture)
        if method in ("PUT", "POST") and captured.get("status", "").startswith("200"):
            self._mark_pending(environ, dict(captured["headers"]))
        return result

    # -- S3 ------------------------------------------------------------------------------------
    def _mark_pending(self, environ: dict[str, Any], headers: dict[str, str]) -> None:
        version = {k.lower(): v for k, v in headers.items()}.get("x-amz-version-id")
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        parts = environ.get("PATH_INFO", "").lstrip("/").split("/", 1)
        if not version or len(parts) != 2 or not parts[1] or set(query) & _SUBRESOURCES:
            return
        bucket, key = parts[0], urllib.parse.unquote(parts[1])
        backend = _s3_backend()
        with _lock:
            try:
                obj = _find_version(backend, bucket, key, version)
            except Exception:
                return
            new = obj is not None and getattr(obj, STATUS_ATTR, None) is None
            if new and _rules_match(backend, bucket, key):
                setattr(obj, STATUS_ATTR, "PENDING")

    def _extension(
        self, environ: dict[str, Any], start_response: StartResponse, route: str
    ) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if route == "replication" and method == "GET":
            features = [
                "s3-replication-status", "s3-replica-write", "s3-replication-config",
                "secret-replica-guard", "dynamodb-replica-write", "dynamodb-stream-wait",
            ]  # fmt: skip
            return self._json(start_response, 200, {"features": features})
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        q = {k: v[0] for k, v in urllib.parse.parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            if route == STREAM_WAIT_ROUTE and method == "GET":
                return self._json(start_response, *self._stream_wait(q))
            if route == replica_writes.ROUTE and method == "POST":
                return self._json(start_response, *self._apply_replica_writes(json.loads(body)))
            if route == "s3/status" and method == "POST":
                args = json.loads(body)
                return self._json(start_response, *self._set_status(**args))
            if route == "s3/replica" and method == "PUT":
                return self._json(start_response, *self._put_replica(q, environ, body))
            if route == "s3/replica-delete-marker" and method == "POST":
                return self._json(start_response, *self._put_marker(**json.loads(body)))
            if route == "s3/replication-config" and method == "GET":
                return self._json(start_response, *self._config(q["bucket"]))
            if route == "secrets/replica" and method == "POST":
                args = json.loads(body)
                self.replica_secrets[str(args["name"])] = str(args["primary"])
                return self._json(start_response, 200, {"ok": True})
        except (TypeError, ValueError, KeyError) as exc:
            return self._json(start_response, 400, {"error": f"bad request: {exc}"})
        return self._json(start_response, 404, {"error": f"unknown extension route {route!r}"})

    # -- DynamoDB --------------------------------------------------------------------------------
    def _apply_replica_writes(self, body: Any) -> tuple[int, Any]:
        from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
        from moto.core.exceptions import JsonRESTError
        from moto.dynamodb.models import dynamodb_backends

        if not isinstance(body, dict) or not isinstance(body.get("ops"), list):
            raise ValueError("expected {region, table, ops: [...]}")
        backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][str(body["region"])]
        try:
            with _writes:
                applied = self.replica_store.apply_ops(
                    backend, str(body["region"]), str(body["table"]), body["ops"]
                )
        except JsonRESTError as exc:  # no such table, an invalid item: moto's own message
            return 400, {"error": f"{exc.error_type}: {exc.message}"}
        return 200, {"applied": applied}

    def _stream_wait(self, q: dict[str, str]) -> tuple[int, Any]:
        """Block until the table's stream holds a record after sequence number `after` (at once
        without `after`), or `timeout` seconds pass; answer the latest sequence number. A
        doorbell, not a read: the records still come through GetRecords, so a reader need not
        poll a quiet stream."""
        from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
        from moto.core.exceptions import JsonRESTError
        from moto.dynamodb.models import dynamodb_backends

        backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][q["region"]]
        after = int(q["after"]) if "after" in q else None
        deadline = time.monotonic() + min(max(float(q.get("timeout", "1")), 0.0), MAX_STREAM_WAIT_S)
        try:
            with _stream_changed:
                while True:
                    shard = backend.get_table(q["table"]).stream_shard
                    items = shard.items if shard is not None else []
                    latest = int(items[-1].record["dynamodb"]["SequenceNumber"]) if items else None
                    left = deadline - time.monotonic()
                    if after is None or (latest is not None and latest > after) or left <= 0:
                        return 200, {"latest": None if latest is None else str(latest)}
                    _stream_changed.wait(left)
        except JsonRESTError as exc:
            return 400, {"error": f"{exc.error_type}: {exc.message}"}

    def _config(self, bucket: str) -> tuple[int, Any]:
        """The bucket's replication rules as stored: moto's GetBucketReplication answer drops
        DeleteMarkerReplication and Filter, so the replicator reads them here."""
        try:
            config = _s3_backend().get_bucket_replication(bucket)
        except Exception:
            return 404, {"error": f"no bucket {bucket}"}
        rules = (config or {}).get("Rule", [])
        return 200, {"Rules": rules if isinstance(rules, list) else [rules]}

    def _set_status(self, bucket: str, key: str, version_id: str, status: str) -> tuple[int, Any]:
        if status not in ("PENDING", "COMPLETED", "FAILED", "REPLICA"):
            return 400, {"error": "status must be PENDING, COMPLETED, FAILED or REPLICA"}
        with _lock:
            obj = _find_version(_s3_backend(), bucket, key, version_id)
            if obj is None:
                return 404, {"error": "no such version"}
            setattr(obj, STATUS_ATTR, status)
        return 200, {"ok": True}

    def _put_replica(
        self, q: dict[str, str], environ: dict[str, Any], body: bytes
    ) -> tuple[int, Any]:
        bucket, key, version_id = q["bucket"], q["key"], q["version_id"]
        metadata = json.loads(environ.get("HTTP_X_POLYREGION_METADATA") or "{}")
        backend = _s3_backend()
        with _lock:
            if _find_version(backend, bucket, key, version_id) is not None:
                return 200, {"ok": True, "existed": True}
            obj = backend.put_object(bucket, key, body, disable_notification=True)
            obj.set_metadata(dict(metadata))
            obj._version_id = version_id  # S3 replicas keep the source's version id
            setattr(obj, STATUS_ATTR, "REPLICA")
        return 200, {"ok": True, "existed": False}

    def _put_marker(self, bucket: str, key: str, version_id: str) -> tuple[int, Any]:
        backend = _s3_backend()
        with _lock:
            if _find_version(backend, bucket, key, version_id) is not None:
                return 200, {"ok": True, "existed": True}
            marker = backend._set_delete_marker(bucket, key)
            marker._version_id = version_id
        return 200, {"ok": True, "existed": False}

    # -- Secrets Manager -------------------------------------------------------------------------
    def _guard_secret(self, environ: dict[str, Any], action: str) -> dict[str, str] | None:
        if action not in SECRET_WRITES or environ.get("HTTP_X_POLYREGION_REPLICATOR") == "1":
            return None
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        # Put the body back for moto whatever we decide.
        import io

        environ["wsgi.input"] = io.BytesIO(raw)
        try:
            secret_id = str(json.loads(raw or b"{}").get("SecretId", ""))
        except ValueError:
            return None
        for name, primary in self.replica_secrets.items():
            # By name, or by ARN (which ends in the name plus a random suffix).
            if secret_id == name or f":secret:{name}-" in secret_id:
                return {
                    "__type": "InvalidRequestException",
                    "message": (
                        "Operation not permitted on a replica secret. Call must be made in "
                        f"primary secret's region ({primary}): {action} on {name}."
                    ),
                }
        return None

    @staticmethod
    def _json(start_response: StartResponse, code: int, body: Any) -> Iterable[bytes]:
        data = json.dumps(body).encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}.get(code, "Error")
        start_response(
            f"{code} {reason}",
            [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(data)))],
        )
        return [data]


def wrap(app: WsgiApp) -> WsgiApp:
    return ReplicationExtension(app)
