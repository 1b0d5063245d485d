"""Snapshots of a region's data: written atomically, so a crash mid-write keeps the last one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from polyregion.sandbox import snapshot
from polyregion.sandbox.snapshot import SnapshotStore, counts


def snap(n: int) -> dict[str, Any]:
    items = [{"pk": {"S": f"p{i}"}, "sk": {"S": "item"}} for i in range(n)]
    return {"format": snapshot.FORMAT, "taken_at": 1.0, "tables": {"t": items},
            "buckets": {"b": []}, "secrets": {"app/session-secret": "s"}}  # fmt: skip


def test_save_then_load(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    assert store.load("eu-west-1") is None
    store.save("eu-west-1", snap(3))
    loaded = store.load("eu-west-1")
    assert loaded is not None and counts(loaded).items == 3
    assert oct(store.file("eu-west-1").stat().st_mode & 0o777) == "0o600"


def test_a_crash_mid_snapshot_leaves_the_previous_one_usable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SnapshotStore(tmp_path)
    store.save("eu-west-1", snap(2))
    real_write = os.write

    def crash_halfway(fd: int, data: Any) -> int:
        real_write(fd, bytes(data[: len(data) // 2]))  # half of the new snapshot is on disk
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(snapshot.os, "write", crash_halfway)
    with pytest.raises(OSError):
        store.save("eu-west-1", snap(50))
    monkeypatch.undo()
    loaded = store.load("eu-west-1")
    assert loaded is not None and counts(loaded).items == 2  # the previous one, whole


def test_a_half_written_file_is_not_taken_for_a_snapshot(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    store.path.mkdir()
    store.file("eu-west-1").write_text('{"format": 1, "tables": {"t": [')
    assert store.load("eu-west-1") is None


def test_fresh_discards_every_region(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    store.save("eu-west-1", snap(1))
    store.save("us-east-1", snap(1))
    assert store.discard() == 2
    assert store.load("eu-west-1") is None
