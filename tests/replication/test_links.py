"""A link on its own: injected clock and apply function, no AWS."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from polyregion.replication.lag import PairLag
from polyregion.replication.links import Link, Partitions
from polyregion.replication.stamps import Stamp
from polyregion.replication.table import Change


def change(n: int) -> Change:
    return Change("put", "a", {"pk": {"S": f"k{n}"}}, Stamp(n, "a", 0), {"pk": {"S": f"k{n}"}})


def test_in_order_delivery_partition_hold_and_retry_after_errors() -> None:
    applied: list[str] = []
    done: list[str] = []
    failures = {"k1": 2}  # the destination fails twice on k1: the link retries, in order
    errors: list[str] = []

    def apply(destination: str, batch: Sequence[Change]) -> list[bool]:
        keys = [c.key["pk"]["S"] for c in batch]
        for key in keys:
            if failures.get(key, 0) > 0:
                failures[key] -= 1
                raise ConnectionError("destination down")  # the whole batch is retried
        applied.extend(keys)
        return [True] * len(keys)

    partitions = Partitions()
    link = Link(
        source="a", destination="b", lag=PairLag("a", "b", 0), apply=apply,
        done=lambda t: done.append(str(t[2])), partitions=partitions, delay_ms=lambda: 0.0,
        on_error=errors.append,
    )  # fmt: skip
    thread = threading.Thread(target=link.run)
    thread.start()
    try:
        partitions.cut("b", "a")  # either order names the same pair
        for n in range(5):
            link.put(change(n), ("arn", "shard", n))
        time.sleep(0.2)
        assert applied == [] and len(link.queue) == 5
        partitions.heal()
        link.wake()
        deadline = time.monotonic() + 5
        while len(done) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        link.stop()
        thread.join(timeout=5)
    assert applied == ["k0", "k1", "k2", "k3", "k4"] and done == ["0", "1", "2", "3", "4"]
    assert errors and "destination down" in errors[0]
    assert not link.queue and link.lag.to_json()["applied"] == 5
