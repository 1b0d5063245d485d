"""An app's own global table: any key schema, items the app does not stamp.

Last writer wins must come from the replication path (the endpoint's stamps), and the app's
items must arrive exactly as written: no stamp attributes added, no record-only markers.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from polyregion.topology import naming
from tests.replication.conftest import World, wait_until, world

pytestmark = pytest.mark.functional
A, B = "us-east-1", "eu-west-1"


@pytest.fixture
def w(shared_world: World) -> World:
    return shared_world


def notes(w: World) -> str:
    return naming.table(w.topology, "notes")


def get(w: World, region: str, note: str) -> dict[str, Any] | None:
    resp = w.clients[region].dynamodb.get_item(
        TableName=notes(w), Key={"id": {"S": note}}, ConsistentRead=True
    )
    return resp.get("Item")


def text(w: World, region: str, note: str) -> str | None:
    item = get(w, region, note)
    return None if item is None else str(item["text"]["S"])


def put(w: World, region: str, note: str, value: str) -> None:
    item = {"id": {"S": note}, "text": {"S": value}}
    w.clients[region].dynamodb.put_item(TableName=notes(w), Item=item)


def everywhere(w: World, note: str, value: str | None) -> bool:
    return all(text(w, r, note) == value for r in w.regions)


def test_plain_items_replicate_exactly_as_written(w: World) -> None:
    put(w, A, "n-plain", "hello")
    wait_until(lambda: everywhere(w, "n-plain", "hello"), timeout_s=10)
    for r in w.regions:  # nothing added: no stamp attributes, no record-only markers
        assert get(w, r, "n-plain") == {"id": {"S": "n-plain"}, "text": {"S": "hello"}}


def test_an_update_of_a_replicated_copy_replicates_back(w: World) -> None:
    put(w, A, "n-upd", "one")
    wait_until(lambda: everywhere(w, "n-upd", "one"), timeout_s=10)
    w.clients[B].dynamodb.update_item(
        TableName=notes(w),
        Key={"id": {"S": "n-upd"}},
        UpdateExpression="SET #t = :t",
        ExpressionAttributeNames={"#t": "text"},
        ExpressionAttributeValues={":t": {"S": "two"}},
    )
    wait_until(lambda: everywhere(w, "n-upd", "two"), timeout_s=10)


def test_a_delete_of_a_plain_item_replicates(w: World) -> None:
    put(w, B, "n-del", "bye")
    wait_until(lambda: everywhere(w, "n-del", "bye"), timeout_s=10)
    w.clients[A].dynamodb.delete_item(TableName=notes(w), Key={"id": {"S": "n-del"}})
    wait_until(lambda: everywhere(w, "n-del", None), timeout_s=10)


def test_concurrent_plain_writes_converge_on_the_last_one(
    endpoints: dict[str, str], tmp_path: Path
) -> None:
    """A writes, B writes the same key 50 ms later; each sees the other's write only after the
    injected 400 ms. Every region must end with B's value: A's older write, arriving late in
    B, loses against the stamp B's endpoint keeps for its local write."""
    with world(endpoints, tmp_path, "repl-plain-lww", regions=(A, B), delay_ms=400) as wd:
        for i in range(5):
            note = f"n-lww-{i}"
            put(wd, A, note, "from-a")
            time.sleep(0.05)
            put(wd, B, note, "from-b")
        for i in range(5):
            note = f"n-lww-{i}"
            wait_until(
                lambda note=note: everywhere(wd, note, "from-b"),  # type: ignore[misc]
                timeout_s=10,
                explain=lambda note=note: {r: get(wd, r, note) for r in wd.regions},  # type: ignore[misc]
            )
        time.sleep(1.0)  # nothing late flips it back
        for i in range(5):
            assert everywhere(wd, f"n-lww-{i}", "from-b")
