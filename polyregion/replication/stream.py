"""Reading one region's DynamoDB stream from a saved position, shard by shard.

The same calls a Lambda event source mapping or the Kinesis adapter make: describe_stream for
the shards, get_shard_iterator (TRIM_HORIZON the first time, AFTER_SEQUENCE_NUMBER from a
checkpoint), then get_records following NextShardIterator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient


@dataclass
class ShardCursor:
    shard_id: str
    iterator: str | None = None
    closed: bool = False  # a closed shard returned no NextShardIterator: fully read
    start: dict[str, Any] = field(default_factory=dict)  # how its first iterator was asked
    last_read: str | None = None  # sequence number of the last record read


@dataclass
class StreamReader:
    region: str
    table: str
    dynamodb: DynamoDBClient
    streams: DynamoDBStreamsClient
    stream_arn: str = ""
    cursors: dict[str, ShardCursor] = field(default_factory=dict)

    def open(self, positions: Mapping[str, Mapping[str, str]]) -> None:
        """Find the table's stream and position every shard (after the checkpoint if any)."""
        desc = self.dynamodb.describe_table(TableName=self.table)["Table"]
        arn = desc.get("LatestStreamArn")
        if not arn:
            from polyregion.errors import ConfigError

            raise ConfigError(
                f"table {self.table} in {self.region}",
                "no stream",
                "the global table needs a stream (NEW_AND_OLD_IMAGES); provision it again",
            )
        self.stream_arn = arn
        self.refresh_shards(positions.get(arn, {}))

    def refresh_shards(self, saved: Mapping[str, str]) -> None:
        stream = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in stream.get("Shards", []):
            sid = shard["ShardId"]
            if sid in self.cursors:
                continue
            kwargs: dict[str, Any] = {"StreamArn": self.stream_arn, "ShardId": sid}
            if sid in saved:
                kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=saved[sid])
            else:
                kwargs["ShardIteratorType"] = "TRIM_HORIZON"
            iterator = self.streams.get_shard_iterator(**kwargs)["ShardIterator"]
            self.cursors[sid] = ShardCursor(sid, iterator, start=kwargs)

    def poll(self, limit: int = 1000) -> list[tuple[str, dict[str, Any]]]:
        """The next records of every open shard, as (shard id, record). The cursors move on
        only once every shard has answered: when one fails, the next poll reads the others'
        records again (an iterator can be read more than once) instead of losing them."""
        out: list[tuple[str, dict[str, Any]]] = []
        moves: list[tuple[ShardCursor, str | None, str | None]] = []
        for cursor in self.cursors.values():
            if cursor.closed or cursor.iterator is None:
                continue
            try:
                resp = self.streams.get_records(ShardIterator=cursor.iterator, Limit=limit)
            except self.streams.exceptions.ExpiredIteratorException:
                # Iterators expire (15 minutes on AWS; a laptop that slept): go on from the
                # last record read, or from where the shard was first opened.
                self._reposition(cursor)
                resp = self.streams.get_records(ShardIterator=cursor.iterator, Limit=limit)
            records = resp.get("Records", [])
            out.extend((cursor.shard_id, r) for r in records)  # type: ignore[misc]
            last = records[-1]["dynamodb"]["SequenceNumber"] if records else cursor.last_read
            moves.append((cursor, resp.get("NextShardIterator"), last))
        for cursor, iterator, last in moves:
            cursor.iterator, cursor.last_read, cursor.closed = iterator, last, iterator is None
        return out

    def _reposition(self, cursor: ShardCursor) -> None:
        kwargs = dict(cursor.start)
        if cursor.last_read is not None:
            kwargs.update(
                ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=cursor.last_read
            )
        cursor.iterator = self.streams.get_shard_iterator(**kwargs)["ShardIterator"]


class StreamDoorbell:
    """Waits for a region's stream to hold a record the reader has not read, instead of polling.

    The region endpoint answers `GET /_polyregion/dynamodb/stream-wait?after=SEQ` once the
    table's stream has a record after sequence number SEQ (endpoint.py). A Lambda event source
    mapping polls GetRecords about four times a second instead; in the sandbox, each empty
    GetRecords costs the endpoint ~1.6 ms of CPU, so polling a quiet stream every few ms took a
    large share of a core, and backing off added up to 50 ms to the first write after a pause.
    The records themselves are still read with GetRecords.
    """

    def __init__(self, region: str, endpoint: str, table: str, *, wait_s: float = 1.0) -> None:
        import httpx

        self.region, self.table, self.wait_s = region, table, wait_s
        self._http = httpx.Client(
            base_url=endpoint, timeout=httpx.Timeout(wait_s + 5.0, connect=1.0), trust_env=False
        )

    def wait(self, after: str | None) -> str | None:
        """Return once a record after sequence number `after` exists (at once for None), or
        after `wait_s` (the caller then polls anyway: a cheap safety net); answer the stream's
        latest sequence number (None while it has no record)."""
        params: dict[str, str | float] = {
            "region": self.region, "table": self.table, "timeout": self.wait_s,
        }  # fmt: skip
        if after is not None:
            params["after"] = after
        resp = self._http.get("/_polyregion/dynamodb/stream-wait", params=params)
        resp.raise_for_status()
        latest = resp.json().get("latest")
        return None if latest is None else str(latest)

    def close(self) -> None:
        self._http.close()
