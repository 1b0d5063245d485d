"""The sign-in audit log: a *regional* table, written to the region's own table only.

It is never replicated (no stream, not a global table): regulated data stays where it was
written. Each region therefore sees only the sign-ins it served.

    pk = "user#<username>"  sk = "<epoch ms>#<random>"  outcome, region, client, created_at
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from polyregion.data.items import Clock, from_ddb, now_ms, to_ddb

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Outcome = Literal["ok", "bad-password", "signup"]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    username: str
    outcome: str
    region: str
    client: str
    created_at: int


class AuditLog:
    def __init__(
        self, dynamodb: DynamoDBClient, table: str, region: str, clock: Clock = time.time
    ) -> None:
        self.ddb = dynamodb
        self.table = table
        self.region = region
        self._clock = clock

    def record(self, username: str, outcome: Outcome, client: str) -> None:
        at = now_ms(self._clock)
        item = {
            "pk": f"user#{username}",
            "sk": f"{at:013d}#{secrets.token_hex(4)}",
            "outcome": outcome,
            "region": self.region,
            "client": client[:64],
            "created_at": at,
        }
        self.ddb.put_item(TableName=self.table, Item=to_ddb(item))

    def for_user(self, username: str, limit: int = 20) -> list[AuditEntry]:
        out = self.ddb.query(
            TableName=self.table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": f"user#{username}"}},
            ScanIndexForward=False,
            Limit=limit,
        )
        entries = []
        for raw in out.get("Items", []):
            i = from_ddb(raw)
            entries.append(
                AuditEntry(
                    username, i["outcome"], i["region"], i.get("client", ""), i["created_at"]
                )
            )
        return entries
