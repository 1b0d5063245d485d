"""Ready-made health checks: a DynamoDB table, an S3 bucket, a Secrets Manager secret.

Each is a blocking callable for `HealthChecker`. Clients are passed as zero-argument callables
(`lambda: pool().dynamodb`) so building them happens in the check's worker thread, never on
an event loop, and only when a check first runs. Give the checks fail-fast clients (one
attempt, socket timeouts no longer than the check's: `aws.HEALTH_CLIENT_CONFIG`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from polyregion.kit.health import Check

ClientFn = Callable[[], Any]
PROBE = "__health_check__"  # a key that need not exist: a miss proves the table answers


def dynamodb_table_check(
    dynamodb: ClientFn, table: str, key: dict[str, Any] | None = None
) -> Check:
    """GetItem of a probe key: a data-plane read, as cheap as the app's own reads.

    `key` is the probe key in DynamoDB's JSON (`{"id": {"S": "__health_check__"}}`); without
    it the key schema is read once with DescribeTable (then cached: control-plane calls are
    rate-limited, so not one per round) and the probe is built from it."""
    lock = threading.Lock()
    probe: dict[str, Any] | None = dict(key) if key is not None else None

    def check() -> None:
        nonlocal probe
        client = dynamodb()
        if probe is None:
            with lock:
                if probe is None:
                    probe = _probe_key(client.describe_table(TableName=table)["Table"])
        client.get_item(TableName=table, Key=probe)

    return check


def _probe_key(description: dict[str, Any]) -> dict[str, Any]:
    types = {a["AttributeName"]: a["AttributeType"] for a in description["AttributeDefinitions"]}
    values = {"S": {"S": PROBE}, "N": {"N": "0"}, "B": {"B": PROBE.encode()}}
    return {k["AttributeName"]: values[types[k["AttributeName"]]] for k in description["KeySchema"]}


def s3_bucket_check(s3: ClientFn, bucket: str) -> Check:
    """HeadBucket: the bucket exists and this role may use it."""
    return lambda: s3().head_bucket(Bucket=bucket)


def secret_check(secretsmanager: ClientFn, secret_id: str) -> Check:
    """GetSecretValue (AWSCURRENT) of `secret_id`; the value is never kept or shown."""
    return lambda: secretsmanager().get_secret_value(SecretId=secret_id, VersionStage="AWSCURRENT")
