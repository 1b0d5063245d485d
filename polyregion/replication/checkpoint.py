"""Crash-safe replicator state: stream positions and delete tombstones, written atomically.

The file is replaced with write-to-temp + fsync + rename, so after a SIGKILL it holds either the
previous state or the new one, never half of each. A stream position is only advanced past a
record once that record has been applied (or deliberately skipped) in every region it must
reach; after a restart the replicator re-reads from there, and the LWW conditions make the
re-applied records harmless.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from polyregion.replication.stamps import Stamp

FILE_NAME: Final = "checkpoint.json"
FORMAT: Final = 1


@dataclass
class Tombstones:
    """When each deleted item was deleted, so an older write arriving late cannot resurrect it.

    Kept for `retention_ms` after the delete (like every tombstone scheme, a write older than
    that arriving later, e.g. after a longer partition, would come back).
    """

    retention_ms: int = 24 * 3600 * 1000
    stamps: dict[str, Stamp] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, key: str, stamp: Stamp) -> None:
        with self._lock:
            current = self.stamps.get(key)
            if current is None or stamp > current:
                self.stamps[key] = stamp

    def get(self, key: str) -> Stamp | None:
        with self._lock:
            return self.stamps.get(key)

    def expire(self, now_ms: int) -> int:
        with self._lock:
            old = [k for k, s in self.stamps.items() if s.at < now_ms - self.retention_ms]
            for k in old:
                del self.stamps[k]
            return len(old)

    def discard(self, key: str) -> None:
        with self._lock:
            self.stamps.pop(key, None)

    def snapshot(self) -> dict[str, str]:
        with self._lock:
            return {k: s.encode() for k, s in self.stamps.items()}


@dataclass
class Checkpoint:
    """Positions per stream ARN and shard (last fully replicated sequence number)."""

    positions: dict[str, dict[str, str]] = field(default_factory=dict)
    tombstones: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "positions": self.positions,
            "tombstones": self.tombstones,
        }


class CheckpointStore:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / FILE_NAME
        state_dir.mkdir(parents=True, exist_ok=True)

    def load(self) -> Checkpoint:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return Checkpoint()
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            from polyregion.errors import ConfigError

            raise ConfigError(
                "state-dir", str(self.path), "not a replicator checkpoint; delete it to start over"
            )
        return Checkpoint(raw["positions"], raw["tombstones"])

    def save(self, checkpoint: Checkpoint) -> None:
        tmp = self.path.with_suffix(".tmp")
        data = json.dumps(checkpoint.to_json(), separators=(",", ":")).encode()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        tmp.replace(self.path)  # atomic on POSIX: old or new, never a mix
