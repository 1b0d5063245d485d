"""Replication test worlds: per-region endpoints (one moto process each), provisioned tables,
bucket and secret, and a real replicator process. Everything is stopped in `finally`."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from polyregion.data.clients import RegionClients
from polyregion.data.provision import provision_region
from polyregion.replication.process import ReplicatorProcess
from polyregion.replication.s3 import configure_buckets
from polyregion.topology import Topology, load, naming
from tests.support.endpoints import region_endpoints

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-1")


@functools.cache
def _session() -> Any:
    """One boto3 session for every test client: service models load once (~0.5 s each)."""
    import boto3

    return boto3.session.Session()


@pytest.fixture(scope="session")
def endpoints() -> Iterator[dict[str, str]]:
    with region_endpoints(REGIONS) as eps:
        yield eps


def write_config(path: Path, name: str, regions: tuple[str, ...], replicate_deletes: bool) -> Path:
    lines = [f'[app]\nname = "{name}"\n']
    for i, r in enumerate(regions):
        role = "primary" if i == 0 else "secondary"
        lines.append(f'[[regions]]\nname = "{r}"\nrole = "{role}"\n')
    key = 'partition_key = "pk"\nsort_key = "sk"\n'
    indexes = (
        'numeric_attributes = ["created_at"]\nindexes = [{ name = "by-slug", partition_key = '
        '"slug" }, { name = "by-kind", partition_key = "kind", sort_key = "created_at" }]\n'
    )
    lines.append(f'[[tables]]\nname = "data"\nscope = "global"\n{key}{indexes}')
    lines.append(f'[[tables]]\nname = "audit"\nscope = "regional"\n{key}')
    # An app's own table: another key schema, items without stamps (test_any_schema.py).
    lines.append('[[tables]]\nname = "notes"\nscope = "global"\npartition_key = "id"\n')
    deletes = str(replicate_deletes).lower()
    lines.append(f'[[buckets]]\nname = "assets"\nreplicate_deletes = {deletes}\n')
    lines.append('[[buckets]]\nname = "scratch"\nscope = "regional"\n')  # never replicated
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@dataclass
class World:
    topology: Topology
    config: Path
    clients: dict[str, RegionClients]
    replicator: ReplicatorProcess

    @property
    def table(self) -> str:
        return naming.table(self.topology, naming.BLOG_TABLE)

    @property
    def regions(self) -> tuple[str, ...]:
        return self.topology.region_names

    def bucket(self, region: str) -> str:
        return naming.bucket(self.topology, region)

    def put(
        self, region: str, pk: str, value: str, *, at: int | None = None, version: int = 1,
        **extra: Any,
    ) -> tuple[int, str, int]:  # fmt: skip
        """Write as the app does: stamped with the writer's clock, region and version."""
        stamp = at if at is not None else int(time.time() * 1000)
        item = {
            "pk": {"S": pk},
            "sk": {"S": "item"},
            "value": {"S": value},
            naming.UPDATED_AT: {"N": str(stamp)},
            naming.UPDATED_REGION: {"S": region},
            naming.VERSION: {"N": str(version)},
        }
        item.update({k: {"S": v} for k, v in extra.items()})
        self.clients[region].dynamodb.put_item(TableName=self.table, Item=item)
        return stamp, region, version

    def delete(self, region: str, pk: str) -> bool:
        """Delete in `region`; True if an item was there (else no-op: no stream record)."""
        resp = self.clients[region].dynamodb.delete_item(
            TableName=self.table, Key={"pk": {"S": pk}, "sk": {"S": "item"}}, ReturnValues="ALL_OLD"
        )
        return bool(resp.get("Attributes"))

    def get(self, region: str, pk: str) -> dict[str, Any] | None:
        resp = self.clients[region].dynamodb.get_item(
            TableName=self.table, Key={"pk": {"S": pk}, "sk": {"S": "item"}}, ConsistentRead=True
        )
        return resp.get("Item")

    def value(self, region: str, pk: str) -> str | None:
        item = self.get(region, pk)
        return None if item is None else str(item["value"]["S"])

    def snapshot(self, region: str, prefix: str = "") -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        pages = (
            self.clients[region]
            .dynamodb.get_paginator("scan")
            .paginate(TableName=self.table, ConsistentRead=True)
        )
        for page in pages:
            for item in page["Items"]:
                if item["pk"]["S"].startswith(prefix):
                    out[item["pk"]["S"]] = item
        return out

    def stream_records(self, region: str) -> list[dict[str, Any]]:
        c = self.clients[region]
        arn = c.dynamodb.describe_table(TableName=self.table)["Table"]["LatestStreamArn"]
        shards = c.dynamodbstreams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        records: list[dict[str, Any]] = []
        for shard in shards:
            it = c.dynamodbstreams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            while it:
                resp = c.dynamodbstreams.get_records(ShardIterator=it, Limit=1000)
                records.extend(resp["Records"])
                if not resp["Records"]:
                    break
                it = resp.get("NextShardIterator")
        return records


def wait_until(
    check: Callable[[], bool],
    timeout_s: float,
    interval_s: float = 0.05,
    explain: Callable[[], object] | None = None,
) -> float:
    """Poll until `check()` is true; return the seconds it took; fail with a clear message."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout_s:
            why = f": {explain()}" if explain is not None else ""
            raise AssertionError(f"condition not met within {timeout_s} s{why}")
        time.sleep(interval_s)
    return time.monotonic() - start


@contextmanager
def world(
    endpoints: dict[str, str],
    directory: Path,
    name: str,
    *,
    regions: tuple[str, ...] = REGIONS,
    delay_ms: float = 0,
    jitter_ms: float = 0,
    replicate_deletes: bool = True,
) -> Iterator[World]:
    config = write_config(directory / f"{name}.toml", name, regions, replicate_deletes)
    topology = load(config)
    eps = {r: endpoints[r] for r in regions}
    clients = {r: RegionClients(r, eps[r], session=_session()) for r in regions}
    for r, c in clients.items():
        provision_region(
            topology, r, c, secret_value=f"{name}-initial-session-key-0123456789abcdef"
        )
    configure_buckets(topology, clients)
    replicator = ReplicatorProcess(
        config=config,
        endpoints=eps,
        state_dir=directory / f"{name}-state",
        delay_ms=delay_ms,
        jitter_ms=jitter_ms,
    )
    replicator.start()
    try:
        yield World(topology, config, clients, replicator)
    finally:
        replicator.stop()


@pytest.fixture(scope="session")
def shared_world(
    endpoints: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One world (zero delay, delete markers replicated) shared by tests that do not break it."""
    with world(endpoints, tmp_path_factory.mktemp("shared"), "repl-shared") as wd:
        yield wd
