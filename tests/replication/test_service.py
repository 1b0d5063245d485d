"""The replicator as a process: partitions, SIGKILL and restart, and a Jepsen-style check."""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from polyregion.replication.service import Replicator
from polyregion.replication.settings import LagModel, ReplicatorSettings
from polyregion.replication.stream import StreamDoorbell
from tests.replication.conftest import World, _session, wait_until, world

pytestmark = pytest.mark.functional

Stamp = tuple[int, str, int]  # (updated_at, updated_region, version): the documented LWW order


@pytest.fixture(scope="module")
def w(endpoints: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world(endpoints, tmp_path_factory.mktemp("svc"), "repl-svc", jitter_ms=5) as wd:
        yield wd


def identical(w: World, prefix: str) -> bool:
    snaps = [w.snapshot(r, prefix) for r in w.regions]
    return all(s == snaps[0] for s in snaps[1:])


def test_partition_stops_replication_both_ways_and_heal_drains_in_order(w: World) -> None:
    a, b, c = w.regions
    w.replicator.partition(a, b)
    try:
        for v in range(1, 11):
            w.put(a, "part-seq", f"v{v}", version=v)
        w.put(b, "part-from-b", "b")
        wait_until(lambda: w.value(c, "part-seq") == "v10", timeout_s=10)  # C is reachable
        wait_until(lambda: w.value(c, "part-from-b") == "b", timeout_s=10)
        time.sleep(0.3)
        assert w.get(b, "part-seq") is None and w.get(a, "part-from-b") is None
        pairs = {(p["source"], p["destination"]): p for p in w.replicator.status()["pairs"]}
        assert pairs[(a, b)]["backlog"] == 10 and pairs[(b, a)]["backlog"] == 1
        assert w.replicator.status()["partitions"] == [sorted([a, b])]
    finally:
        w.replicator.heal()
    wait_until(lambda: identical(w, "part-"), timeout_s=10)
    assert w.value(b, "part-seq") == "v10" and w.value(a, "part-from-b") == "b"
    # The backlog drained in order: B saw v1..v10 of the item one after the other.
    versions = [
        int(r["dynamodb"]["NewImage"]["version"]["N"])
        for r in w.stream_records(b)
        if r["dynamodb"]["Keys"]["pk"]["S"] == "part-seq"
    ]
    assert versions == list(range(1, 11))
    kinds = [e["kind"] for e in w.replicator.events()]
    assert "partition" in kinds and "heal" in kinds


def test_sigkill_mid_burst_loses_nothing_and_applies_nothing_twice(w: World) -> None:
    a = w.regions[0]
    acked: list[str] = []
    stop = threading.Event()

    def burst() -> None:
        for i in range(150):
            if stop.is_set():
                return
            w.put(a, f"kill-{i:03d}", f"value-{i}")
            acked.append(f"kill-{i:03d}")

    writer = threading.Thread(target=burst)
    writer.start()
    wait_until(lambda: len(acked) >= 40, timeout_s=10, interval_s=0.005)
    w.replicator.kill()  # SIGKILL: no clean shutdown, no final checkpoint
    killed_at = len(acked)
    time.sleep(0.2)
    w.replicator.start()
    writer.join(timeout=60)
    stop.set()
    assert killed_at < len(acked)  # writes went on while the replicator was dead
    wait_until(lambda: all(len(w.snapshot(r, "kill-")) == len(acked) for r in w.regions), 20)
    for r in w.regions:
        snap = w.snapshot(r, "kill-")
        assert sorted(snap) == sorted(acked)
        assert all(item["value"]["S"] == f"value-{int(k[5:])}" for k, item in snap.items())
        if r == a:
            continue
        # Exactly once: each write reached this region by one successful put (a replayed,
        # already applied record fails its condition and leaves no stream record).
        counts: dict[str, int] = {}
        for rec in w.stream_records(r):
            pk = rec["dynamodb"]["Keys"]["pk"]["S"]
            if pk.startswith("kill-"):
                counts[pk] = counts.get(pk, 0) + 1
        assert set(counts.values()) == {1}, {k: n for k, n in counts.items() if n != 1}


class Time:
    """The replicator's injected clocks and sleep: a sleep advances the clock instead of
    passing (it yields a moment so the other threads run), and is recorded per thread."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.stop = threading.Event()
        self.slept: list[tuple[str, float]] = []

    def clock(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.slept.append((threading.current_thread().name, seconds))
        self.now += seconds
        return self.stop.wait(0.002)


class CountingDoorbell(StreamDoorbell):
    """The real doorbell (a short timeout), counting its answers: with news, or timed out."""

    def __init__(self, region: str, endpoint: str, table: str) -> None:
        super().__init__(region, endpoint, table, wait_s=0.2)
        self.rounds: list[bool] = []  # True: a record after `after` was there

    def wait(self, after: str | None) -> str | None:
        latest = super().wait(after)
        news = after is None or (latest is not None and int(latest) > int(after))
        self.rounds.append(news)
        return latest


def in_process(w: World, state: Path, t: Time, bells: dict[str, CountingDoorbell]) -> Replicator:
    def doorbell(region: str, endpoint: str, table: str) -> CountingDoorbell:
        # One reader per (region, table): the world has two global tables (data and notes);
        # the blog's `data` table is the one `w.put` writes.
        bell = CountingDoorbell(region, endpoint, table)
        bells[region if table.endswith("-data") else f"{region} {table}"] = bell
        return bell

    settings = ReplicatorSettings(
        topology=w.topology,
        endpoints={r: c.endpoint for r, c in w.clients.items()},
        state_dir=state,
        lag=LagModel.from_topology(w.topology, delay_ms=0, jitter_ms=0),
    )
    return Replicator(
        settings, session=_session(), clock=t.clock, monotonic=t.clock, wait=t.wait,
        doorbell=doorbell,
    )  # fmt: skip


def test_a_quiet_stream_is_not_polled_after_a_restart(
    endpoints: dict[str, str], tmp_path: Path
) -> None:
    """After a restart with nothing new, each reader waits on its doorbell: one GetRecords per
    doorbell answer, never a sleep-and-poll loop; a write then wakes it at once. The clock and
    sleep are injected: no real sleeps, no timing window."""
    with world(endpoints, tmp_path, "quiet", regions=("us-east-1", "eu-west-1")) as w:
        w.replicator.stop()  # this test runs its own, in-process
        a, b = w.regions
        t, bells = Time(), {}
        first = in_process(w, tmp_path / "state", t, bells)
        first.start()
        try:
            w.put(a, "quiet-1", "before the restart")
            wait_until(lambda: w.value(b, "quiet-1") is not None, timeout_s=10)
            wait_until(lambda: not first.progress.in_flight(), timeout_s=10)
        finally:
            t.stop.set()
            first.stop()  # the final checkpoint
        t, bells = Time(), {}
        second = in_process(w, tmp_path / "state", t, bells)
        second.start()  # resumes after its checkpoint: nothing new to read anywhere
        try:
            wait_until(lambda: all(len(bells[r].rounds) >= 4 for r in w.regions), timeout_s=10)
            status = second.status()["streams"]
            for r in w.regions:
                # a region's stream status counts the GetRecords of all its tables' readers
                rounds = sum(len(bell.rounds) for key, bell in bells.items() if key.startswith(r))
                # One GetRecords per doorbell answer (an answer in flight per reader may add one).
                assert rounds - 2 <= status[r]["polls"] <= rounds, (r, status[r], rounds)
                assert status[r]["read"] == 0  # nothing re-read after the checkpoint
            readers = {name for name, _ in t.slept if name.startswith("reader")}
            assert readers == set(), t.slept  # a quiet reader never sleeps-and-polls
            before = len(bells[b].rounds)
            w.put(b, "quiet-2", "after the restart")  # and it still wakes up at once:
            wait_until(lambda: w.value(a, "quiet-2") is not None, timeout_s=10)
            # ...the doorbell answered because of the write, not because it timed out.
            assert True in bells[b].rounds[before:]
            assert second.status()["streams"][b]["read"] == 1
        finally:
            t.stop.set()
            second.stop()


def test_jepsen_random_writes_partitions_and_kills_converge_to_last_writer(w: World) -> None:
    rng = random.Random(4)
    keys = [f"jep-{i}" for i in range(12)]
    history: list[dict[str, Any]] = []  # acknowledged operations only
    lock = threading.Lock()
    stop = threading.Event()

    def client(region: str, seed: int) -> None:
        r = random.Random(seed)
        version = 0
        while not stop.is_set():
            key = r.choice(keys)
            version += 1
            if r.random() < 0.15:
                sent = time.time() * 1000
                removed = w.delete(region, key)
                with lock:
                    history.append(
                        {
                            "op": "delete",
                            "key": key,
                            "removed": removed,
                            "window": (sent, time.time() * 1000),
                        }
                    )
            else:
                value = f"{region}-{version}"
                stamp = w.put(region, key, value, version=version)
                with lock:
                    history.append({"op": "put", "key": key, "stamp": stamp, "value": value})
            time.sleep(r.uniform(0, 0.01))

    clients = [
        threading.Thread(target=client, args=(region, i)) for i, region in enumerate(w.regions)
    ]
    for t in clients:
        t.start()
    try:
        for _ in range(6):  # the nemesis
            time.sleep(rng.uniform(0.3, 0.8))
            action = rng.choice(["partition", "partition", "kill", "heal"])
            if action == "partition":
                w.replicator.partition(*rng.sample(list(w.regions), 2))
            elif action == "kill":
                w.replicator.kill()
                time.sleep(rng.uniform(0.05, 0.3))
                w.replicator.start()
            else:
                w.replicator.heal()
        time.sleep(0.5)
    finally:
        stop.set()
        for t in clients:
            t.join(timeout=30)
        w.replicator.heal()
    assert len(history) > 100
    try:
        wait_until(lambda: identical(w, "jep-"), timeout_s=30, interval_s=0.3)
    except AssertionError:
        snaps = {r: w.snapshot(r, "jep-") for r in w.regions}
        diff = {
            k: {r: (s[k]["value"]["S"], s[k]["updated_at"]["N"]) if k in s else None
                for r, s in snaps.items()}
            for k in keys
            if len({str(s.get(k)) for s in snaps.values()}) > 1
        }  # fmt: skip
        raise AssertionError(f"replicas differ: {diff}; status {w.replicator.status()}") from None

    # The outcome, computed from the history alone: per key the put with the greatest stamp,
    # unless a delete that removed something came after it. A delete's stamp is only known to
    # lie within its request's time window (+1 ms), so a key whose winner is within a delete's
    # window may end either way; the replicas must still agree.
    final = w.snapshot(w.regions[0], "jep-")
    ambiguous = 0
    for key in keys:
        puts = [h for h in history if h["key"] == key and h["op"] == "put"]
        # A delete that found nothing wrote nothing: no stream record (Streams record only
        # modifications), nothing to replicate, so a put from another region that lands later
        # stands.
        deletes = [
            h["window"] for h in history if h["key"] == key and h["op"] == "delete" and h["removed"]
        ]
        best = max(puts, key=lambda h: h["stamp"], default=None)
        best_at = best["stamp"][0] if best else float("-inf")
        # A delete is dated by the endpoint's clock in whole ms (>= its request's start), so it
        # is surely later only from the next ms on; within the same ms the region breaks the tie.
        if any(math.floor(lo) > best_at for lo, _ in deletes):
            allowed = {None}
        elif all(hi + 1 < best_at for _, hi in deletes):
            allowed = {best["value"]} if best else {None}
        else:
            allowed = {None, best["value"] if best else None}
            ambiguous += 1
        got = final[key]["value"]["S"] if key in final else None
        assert got in allowed, (key, got, allowed, best, deletes)
        if got is not None:
            assert best is not None
            assert (int(final[key]["updated_at"]["N"]), final[key]["updated_region"]["S"],
                    int(final[key]["version"]["N"])) == best["stamp"]  # fmt: skip
    assert ambiguous <= len(keys) // 2  # most keys have one possible outcome
