"""Look into each region's replica directly (boto3 against its AWS endpoint), never via the app.

A lost write is one the app acknowledged that no surviving replica holds; asking the app would
hide exactly the failures a drill is looking for (caches, fallbacks to another region).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from polyregion.data.clients import RegionClients

SLUG = "slug"


class ReplicaReader:
    def __init__(self, table: str, clients: Mapping[str, RegionClients]) -> None:
        self.table = table
        self.clients = clients

    def holding(self, keys: Iterable[str], regions: Iterable[str]) -> dict[str, set[str]]:
        """For each region, which of `keys` (post slugs) its global-table replica holds.

        One filtered Scan per region on the keys' common prefix (a drill's slugs share one),
        instead of a query per key: a few calls however many writes the drill made.
        """
        wanted = set(keys)
        if not wanted:
            return {r: set() for r in regions}
        prefix = _common_prefix(wanted)
        return {r: self._scan(r, prefix) & wanted for r in regions}

    def _scan(self, region: str, prefix: str) -> set[str]:
        ddb = self.clients[region].dynamodb
        found: set[str] = set()
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "ProjectionExpression": "#s",
            "ExpressionAttributeNames": {"#s": SLUG},
        }
        if prefix:
            kwargs["FilterExpression"] = "begins_with(#s, :p)"
            kwargs["ExpressionAttributeValues"] = {":p": {"S": prefix}}
        while True:
            page = ddb.scan(**kwargs)
            found.update(i[SLUG]["S"] for i in page.get("Items", []) if SLUG in i)
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _common_prefix(keys: set[str]) -> str:
    """Longest string every key starts with (character-wise, not path-wise)."""
    first, last = min(keys), max(keys)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]
