"""DynamoDB item plumbing shared by the stores: (de)serialization and the replication stamp.

Every item the app writes to the global table carries `updated_at` (writer clock, epoch ms),
`updated_region` and `version`: the replicator resolves conflicts with them (last writer wins)
and read-your-writes compares `version`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from polyregion.topology import naming

Clock = Callable[[], float]  # seconds since the epoch, like time.time

_serializer: Any = None
_deserializer: Any = None


def now_ms(clock: Clock = time.time) -> int:
    return int(clock() * 1000)


def to_ddb(item: Mapping[str, Any]) -> dict[str, Any]:
    global _serializer
    if _serializer is None:
        from boto3.dynamodb.types import TypeSerializer

        _serializer = TypeSerializer()
    return {k: _serializer.serialize(v) for k, v in item.items() if v is not None}


def from_ddb(item: Mapping[str, Any]) -> dict[str, Any]:
    """Plain Python values: DynamoDB numbers come back as int (all ours are whole numbers)."""
    global _deserializer
    if _deserializer is None:
        from boto3.dynamodb.types import TypeDeserializer

        _deserializer = TypeDeserializer()
    out: dict[str, Any] = {}
    for k, v in item.items():
        value = _deserializer.deserialize(v)
        if isinstance(value, Decimal):
            value = int(value) if value == value.to_integral_value() else float(value)
        out[k] = value
    return out


def key(pk: str, sk: str) -> dict[str, Any]:
    return {naming.PARTITION_KEY: {"S": pk}, naming.SORT_KEY: {"S": sk}}


def stamp(item: dict[str, Any], *, region: str, version: int, at_ms: int) -> dict[str, Any]:
    item[naming.UPDATED_AT] = at_ms
    item[naming.UPDATED_REGION] = region
    item[naming.VERSION] = version
    return item


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError ("" for anything else)."""
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def is_conditional_failure(exc: BaseException) -> bool:
    return error_code(exc) in ("ConditionalCheckFailedException", "TransactionCanceledException")
