"""Replication events: a bounded in-memory log served on /events, mirrored as JSON lines."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import IO, Any


class EventLog:
    def __init__(
        self,
        *,
        capacity: int = 500,
        stream: IO[str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._events: deque[dict[str, Any]] = deque(maxlen=capacity)
        self._seq = 0
        self._lock = threading.Lock()
        self._stream = stream if stream is not None else sys.stdout
        self._clock = clock

    def emit(self, kind: str, detail: str, **fields: Any) -> None:
        with self._lock:
            self._seq += 1
            event = {"seq": self._seq, "time": round(self._clock(), 3), "kind": kind}
            event.update(fields)
            event["detail"] = detail
            self._events.append(event)
            try:
                self._stream.write(json.dumps(event) + "\n")
                self._stream.flush()
            except (OSError, ValueError):
                pass  # a closed log pipe must not stop replication

    def since(self, seq: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self._events if e["seq"] > seq]
