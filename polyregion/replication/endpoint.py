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
(`polyregion.sandbox.aws_endpoint`) serves the result under uvicorn when `up` plugs it in
(`--extension polyregion.replication.endpoint:wrap`). moto's own fixes (locks, bounded
iterators, instance tracking) live with that endpoint: polyregion/sandbox/moto_patches.py.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any, Final

from polyregion.replication import replica_writes
from polyregion.sandbox import moto_patches

PREFIX: Final = "/_polyregion/"
STREAM_WAIT_ROUTE: Final = "dynamodb/stream-wait"
REPLICATOR_HEADER: Final = "X-Polyregion-Replicator"
STATUS_ATTR: Final = moto_patches.STATUS_ATTR
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
MAX_STREAM_WAIT_S: Final = 10.0
S3_CHANGES_ROUTE: Final = "s3/changes"
_WRITE_METHODS: Final = frozenset({"PUT", "POST", "DELETE"})


def _bucket_path(environ: dict[str, Any]) -> bool:
    """Path-style S3 requests name the bucket first; DynamoDB and Secrets Manager post to /."""
    return bool(environ.get("PATH_INFO", "").lstrip("/").split("/", 1)[0])


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
        moto_patches.apply()  # the locks below guard what the patches serialize
        self.app = app
        self.replica_secrets: dict[str, str] = {}  # secret name -> its primary region
        self.replica_store = replica_writes.ReplicaStore()
        moto_patches.RECORD_HOOKS[:] = [self.replica_store.on_stream_record]  # one per process
        # S3's change feed: bumped by every successful write to a bucket, so the replicator
        # lists a bucket's versions only after something changed (listing it every 200 ms
        # grew moto by ~40 MB a minute while idle).
        self.s3_seq = 0
        self.s3_changed = threading.Condition()

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
        status = captured.get("status", "")
        if method in ("PUT", "POST") and status.startswith("200"):
            self._mark_pending(environ, dict(captured["headers"]))
        if method in _WRITE_METHODS and status.startswith("2") and _bucket_path(environ):
            with self.s3_changed:
                self.s3_seq += 1
                self.s3_changed.notify_all()
        return result

    def _s3_changes(self, q: dict[str, str]) -> tuple[int, Any]:
        """The S3 change feed: answer the write count once it exceeds `after` (at once without
        `after`), or after `timeout` seconds (capped)."""
        after = int(q["after"]) if "after" in q else None
        deadline = time.monotonic() + min(max(float(q.get("timeout", "0")), 0.0), MAX_STREAM_WAIT_S)
        with self.s3_changed:
            while after is not None and self.s3_seq <= after:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.s3_changed.wait(left)
            return 200, {"seq": self.s3_seq}

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
                "s3-changes",
            ]  # fmt: skip
            return self._json(start_response, 200, {"features": features})
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        q = {k: v[0] for k, v in urllib.parse.parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            if route == STREAM_WAIT_ROUTE and method == "GET":
                return self._json(start_response, *self._stream_wait(q))
            if route == S3_CHANGES_ROUTE and method == "GET":
                return self._json(start_response, *self._s3_changes(q))
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
            with moto_patches.WRITES:
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
            with moto_patches.STREAM_CHANGED:
                while True:
                    shard = backend.get_table(q["table"]).stream_shard
                    items = shard.items if shard is not None else []
                    latest = int(items[-1].record["dynamodb"]["SequenceNumber"]) if items else None
                    left = deadline - time.monotonic()
                    if after is None or (latest is not None and latest > after) or left <= 0:
                        return 200, {"latest": None if latest is None else str(latest)}
                    moto_patches.STREAM_CHANGED.wait(left)
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
