"""Bounded synthetic traffic: every location sends one request per round, concurrently.

Rounds (rather than free-running threads) keep the traffic deterministic under an injected
clock and make the bound obvious: at most `max_requests` requests, then it stops.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from polyregion.ops.model import Op, Sample
from polyregion.ops.target import Target
from polyregion.ops.workload import record_id


@dataclass
class Traffic:
    target: Target
    run_id: str
    write_every: int = 2  # one write every N rounds per location, reads otherwise
    max_requests: int = 50_000
    sent: int = 0
    rounds: int = 0
    _seq: dict[str, int] = field(default_factory=dict)
    _pool: ThreadPoolExecutor | None = None

    def key(self, location: str, seq: int) -> str:
        """The id of a drill write (`drill-<run>-<location>-<seq>`, workload.record_id)."""
        return record_id(self.run_id, location, seq)

    def round(self) -> list[Sample]:
        """One request per location (a write every `write_every` rounds); [] past the bound."""
        locations = self.target.locations
        if self.sent + len(locations) > self.max_requests:
            return []
        op: Op = "write" if self.write_every and self.rounds % self.write_every == 1 else "read"
        self.rounds += 1
        calls = []
        for loc in locations:
            seq = self._seq.get(loc, 0)
            if op == "write":
                self._seq[loc] = seq + 1
            calls.append((loc, seq))
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=max(1, len(locations)))
        futures = [
            self._pool.submit(self.target.request, loc, op, seq, self.key(loc, seq))
            for loc, seq in calls
        ]
        self.sent += len(futures)
        return [f.result() for f in futures]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
