from __future__ import annotations

from pathlib import Path

import pytest

from polyregion.errors import ConfigError
from polyregion.replication.checkpoint import Checkpoint, CheckpointStore, Tombstones
from polyregion.replication.stamps import Stamp


def test_save_then_load_round_trips_and_leaves_no_temp_file(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    assert store.load() == Checkpoint()
    cp = Checkpoint({"arn": {"shard-1": "1100"}}, {"pk=a": Stamp(5, "eu-west-1", 2).encode()})
    store.save(cp)
    assert store.load() == cp
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.json"]


def test_a_foreign_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "checkpoint.json").write_text('{"hello": 1}')
    with pytest.raises(ConfigError, match="delete it to start over"):
        CheckpointStore(tmp_path).load()


def test_tombstones_keep_the_latest_delete_and_expire() -> None:
    t = Tombstones(retention_ms=1000)
    t.record("k", Stamp(10, "a", 0))
    t.record("k", Stamp(5, "z", 0))  # older: ignored
    assert t.get("k") == Stamp(10, "a", 0)
    assert t.expire(now_ms=500) == 0
    assert t.expire(now_ms=2000) == 1 and t.get("k") is None
