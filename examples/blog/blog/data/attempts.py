"""Recent attempts (failed sign-ins, sign-ups) per key, for throttling: a sliding-window log.

Kept in the region's sign-in audit table (a regional table: never replicated), so every
Lambda instance of the region sees the same counts; the rows expire by DynamoDB TTL:

    pk = "attempt#<rule>#<subject>"  sk = "<epoch ms>#<random>"  expires_at (epoch s, TTL)

TTL deletes lazily (hours to days), so readers always bound the query by time as well; TTL only
keeps the table small. `MemoryAttempts` is the fallback when the topology declares no audit
table: per process only (documented in docs/app.md), but never no throttling at all.
"""

from __future__ import annotations

import secrets
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, Protocol

from polyregion.data.items import from_ddb, to_ddb

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TTL_ATTRIBUTE: Final = "expires_at"  # the regional tables' TimeToLiveSpecification
PREFIX: Final = "attempt#"
MAX_MEMORY_KEYS: Final = 10_000


class Attempts(Protocol):
    def add(self, key: str, at_ms: int, keep_s: int) -> None:
        """Remember one attempt on `key` at `at_ms`, for at least `keep_s` seconds."""

    def recent(self, key: str, since_ms: int, limit: int) -> list[int]:
        """Times (epoch ms, newest first) of at most `limit` attempts on `key` since `since_ms`."""


class DynamoAttempts:
    """`dynamodb` returns the region's client: called per use, so none is built at start-up."""

    def __init__(self, dynamodb: Callable[[], DynamoDBClient], table: str) -> None:
        self.ddb = dynamodb
        self.table = table

    def add(self, key: str, at_ms: int, keep_s: int) -> None:
        item = {
            "pk": PREFIX + key,
            "sk": f"{at_ms:013d}#{secrets.token_hex(4)}",
            "at": at_ms,
            TTL_ATTRIBUTE: at_ms // 1000 + keep_s,
        }
        self.ddb().put_item(TableName=self.table, Item=to_ddb(item))

    def recent(self, key: str, since_ms: int, limit: int) -> list[int]:
        out = self.ddb().query(
            TableName=self.table,
            KeyConditionExpression="pk = :p AND sk >= :s",
            ExpressionAttributeValues={":p": {"S": PREFIX + key}, ":s": {"S": f"{since_ms:013d}"}},
            ScanIndexForward=False,
            Limit=limit,
            # Strong: an attempt another instance of this region just wrote must count.
            ConsistentRead=True,
            ProjectionExpression="#at",
            ExpressionAttributeNames={"#at": "at"},
        )
        return [int(from_ddb(i)["at"]) for i in out.get("Items", [])]


class MemoryAttempts:
    """Per-process attempts (no regional table): bounded by pruning on every write."""

    def __init__(self) -> None:
        self._times: dict[str, list[tuple[int, int]]] = defaultdict(list)  # key -> (at, until)
        self._lock = threading.Lock()

    def add(self, key: str, at_ms: int, keep_s: int) -> None:
        with self._lock:
            kept = [t for t in self._times[key] if t[1] > at_ms]
            kept.append((at_ms, at_ms + keep_s * 1000))
            self._times[key] = kept
            if len(self._times) > MAX_MEMORY_KEYS:  # forget keys whose attempts all expired
                for k in [k for k, v in self._times.items() if v[-1][1] <= at_ms]:
                    del self._times[k]

    def recent(self, key: str, since_ms: int, limit: int) -> list[int]:
        with self._lock:
            times = [t[0] for t in self._times.get(key, []) if t[0] >= since_ms]
        return sorted(times, reverse=True)[:limit]
