"""The replicator process: stream readers, links, checkpointer, S3 and secret workers, control.

Threads, not asyncio: boto3 is blocking, and a handful of threads (one reader per region, one
link per ordered pair) keeps every piece simple and ordered.
"""

from __future__ import annotations

import functools
import json
import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from polyregion.data.clients import ClientConfig, RegionClients
from polyregion.errors import DependencyError, PolyregionError
from polyregion.replication.checkpoint import Checkpoint, CheckpointStore, Tombstones
from polyregion.replication.control import ControlServer
from polyregion.replication.events import EventLog
from polyregion.replication.lag import PairLag
from polyregion.replication.links import Link, LinkGroup, Partitions, jittered
from polyregion.replication.progress import Progress
from polyregion.replication.replica_writes import ReplicaWriter
from polyregion.replication.s3 import BucketReplication
from polyregion.replication.secret import SecretReplication
from polyregion.replication.settings import ReplicatorSettings
from polyregion.replication.stamps import Stamp
from polyregion.replication.stream import StreamDoorbell, StreamReader
from polyregion.replication.table import Change, TableReplication
from polyregion.topology import naming

READY_FILE = "replicator.json"
# The replicator's own calls fail fast and are retried by the link, in order.
CLIENT_CONFIG = ClientConfig(connect_timeout_s=1.0, read_timeout_s=5.0, max_attempts=1)


@dataclass
class StreamStats:
    """Per source stream: counters, and what makes a stalled reader visible in `status`."""

    read: int = 0
    polls: int = 0  # successful GetRecords rounds (a quiet stream waits on its doorbell)
    replicated: int = 0
    echo: int = 0
    other: int = 0
    last_record_at: float | None = None  # wall clock of the last record read
    last_poll_at: float | None = None  # of the last successful GetRecords round
    error: str | None = None  # the current read failure, None while reads succeed
    error_since: float | None = None
    failures: int = 0  # failed polls in the current failure

    def failed(self, message: str, now: float) -> bool:
        """Record a failed poll; True when it starts a failure (worth a log line)."""
        first = self.error is None
        self.error, self.failures = message, self.failures + 1
        if first:
            self.error_since = now
        return first

    def succeeded(self, now: float) -> tuple[float, int] | None:
        """Record a successful poll; (seconds failing, failed polls) if it ends a failure."""
        self.last_poll_at = now
        self.polls += 1
        if self.error is None:
            return None
        ended = (now - (self.error_since or now), self.failures)
        self.error, self.error_since, self.failures = None, None, 0
        return ended


class Replicator:
    """`session` (boto3), `clock` (wall, epoch s), `monotonic`, `wait` (a stop-aware sleep:
    returns True once the replicator is stopping; default `stop_event.wait`) and `doorbell` are
    injected, so tests drive time instead of sleeping."""

    def __init__(
        self,
        settings: ReplicatorSettings,
        events: EventLog | None = None,
        *,
        session: Any = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        wait: Callable[[float], bool] | None = None,
        doorbell: Callable[[str, str, str], StreamDoorbell] = StreamDoorbell,
    ) -> None:
        self.settings = settings
        self.topology = settings.topology
        self.clock, self.monotonic = clock, monotonic
        self.doorbell = doorbell  # (region, endpoint, table) -> a stream's doorbell
        self.events = events or EventLog(clock=clock)
        self.rng = random.Random(settings.seed)  # noqa: S311 - jitter, not crypto
        self.stop_event = threading.Event()
        self.wait: Callable[[float], bool] = wait or self.stop_event.wait
        self.partitions = Partitions()
        self.progress = Progress()
        self.store = CheckpointStore(settings.state_dir)
        self.saved: Checkpoint = self.store.load()
        self.tombstones = Tombstones()
        for k, raw in self.saved.tombstones.items():
            self.tombstones.record(k, Stamp.decode(raw))
        if session is None:
            import boto3

            session = boto3.session.Session()  # one session: service models load once
        self.clients: dict[str, RegionClients] = {
            r: RegionClients(r, settings.endpoints[r], CLIENT_CONFIG, session)
            for r in settings.regions
        }
        self.writers = {r: ReplicaWriter(r, settings.endpoints[r]) for r in settings.regions}
        # One TableReplication per global table; with several, tombstone ids carry the table.
        specs = self.topology.global_tables
        scoped = len(specs) > 1
        self.tables = {
            (naming.table(self.topology, t.name) if scoped else ""): TableReplication(
                naming.table(self.topology, t.name),
                self.writers,
                self.tombstones,
                key_attributes=t.key_attributes,
                scoped=scoped,
            )
            for t in specs
        }
        self.stats = {r: StreamStats() for r in settings.regions}
        self.links: dict[tuple[str, str], LinkGroup] = {}
        for (a, b), base in settings.lag.delays_ms.items():
            lag = PairLag(a, b, base)
            self.links[(a, b)] = LinkGroup(
                [
                    Link(
                        source=a,
                        destination=b,
                        lag=lag,
                        apply=self._apply,
                        done=lambda ticket: self.progress.done(*ticket),
                        partitions=self.partitions,
                        delay_ms=jittered(base, settings.lag.jitter_ms, self.rng),
                        on_error=self._link_error,
                        clock=monotonic,
                        wall_ms=lambda: self.clock() * 1000,
                        sleep=self.wait,
                    )
                    for _ in range(settings.lanes)
                ]
            )
        self.buckets = BucketReplication(
            self.topology,
            self.clients,
            self.partitions,
            self.events,
            settings.endpoints,
            clock=clock,
        )
        self.secret = SecretReplication(
            self.topology, self.clients, self.partitions, self.events, settings.endpoints
        )
        self.control = ControlServer(self, settings.control_host, settings.control_port)
        self._threads: list[threading.Thread] = []
        self._last_error = 0.0
        self.checkpointed_at: float | None = None

    # -- Controlled --------------------------------------------------------------------------
    def region_names(self) -> tuple[str, ...]:
        return self.settings.regions

    def partition(self, a: str, b: str) -> None:
        self.partitions.cut(a, b)
        self.events.emit("partition", f"replication between {a} and {b} stopped", regions=[a, b])

    def heal(self, a: str | None, b: str | None) -> None:
        self.partitions.heal(a, b)
        what = f"between {a} and {b}" if a and b else "everywhere"
        backlog = sum(link.backlog for link in self.links.values())
        self.events.emit("heal", f"replication {what} resumed; backlog {backlog}")
        for link in self.links.values():
            link.wake()

    def events_since(self, seq: int) -> list[dict[str, Any]]:
        return self.events.since(seq)

    def status(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "pairs": [link.to_json() for link in self.links.values()],
            "partitions": self.partitions.pairs(),
            "streams": {r: vars(s).copy() for r, s in self.stats.items()},
            "in_flight": self.progress.in_flight(),
            "repairs": sum(t.repairs for t in self.tables.values()),
            "tombstones": len(self.tombstones.stamps),
            "checkpointed_at": self.checkpointed_at,
            "s3": self.buckets.status(),
            "secret": self.secret.status(),
        }

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        readers: list[tuple[StreamReader, TableReplication]] = []
        for (region, c), table in (
            (rc, t) for rc in self.clients.items() for t in self.tables.values()
        ):
            reader = StreamReader(region, table.table, c.dynamodb, c.dynamodbstreams)
            try:
                reader.open(self.saved.positions)
            except PolyregionError:
                raise
            except Exception as exc:  # endpoint down, table missing: say which and why
                raise DependencyError(
                    "dynamodb",
                    f"cannot read the stream of global table {table.table} in {region} at "
                    f"{self.settings.endpoints[region]} ({type(exc).__name__}: {exc}); "
                    "is the sandbox up and provisioned?",
                ) from None
            readers.append((reader, table))
        self.control.start()
        workers: list[tuple[str, Callable[[], None]]] = [
            (f"link {a}->{b} lane {i}", lane.run)
            for (a, b), link in self.links.items()
            for i, lane in enumerate(link.lanes)
        ]
        workers += [
            (
                f"reader {rd.region} {rd.table}",
                functools.partial(
                    self._read_loop,
                    rd,
                    self.doorbell(rd.region, self.settings.endpoints[rd.region], rd.table),
                    table,
                ),
            )
            for rd, table in readers
        ]
        workers += [
            ("checkpoint", self._checkpoint_loop),
            ("s3", lambda: self.buckets.run(self.wait, self.settings.s3_poll_ms / 1000)),
            ("secret", lambda: self.secret.run(self.wait, self.settings.secret_poll_ms / 1000)),
        ]
        for name, fn in workers:
            t = threading.Thread(target=fn, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        ready = {"pid": os.getpid(), "control_port": self.control.port}
        tmp = self.settings.state_dir / (READY_FILE + ".tmp")
        tmp.write_text(json.dumps(ready), encoding="utf-8")
        tmp.replace(self.settings.state_dir / READY_FILE)
        self.events.emit(
            "replicator-started",
            f"replicating {', '.join(self.settings.regions)}; control on port {self.control.port}",
            control_port=self.control.port,
        )

    def stop(self) -> None:
        self.stop_event.set()
        for link in self.links.values():
            link.stop()
        for t in self._threads:
            t.join(timeout=5)
        self._save()
        self.control.stop()
        for writer in self.writers.values():
            writer.close()

    # -- workers -------------------------------------------------------------------------------
    def _link_error(self, message: str) -> None:
        now = self.monotonic()
        if now - self._last_error > 5:  # a dead region must not flood the log
            self._last_error = now
            self.events.emit("replication-error", message)

    def _apply(self, destination: str, changes: Sequence[Change]) -> list[bool]:
        """Apply a batch in `destination`: each run of one table's changes by that table."""
        out: list[bool] = []
        start = 0
        while start < len(changes):
            end = start
            while end < len(changes) and changes[end].table == changes[start].table:
                end += 1
            table = self.tables[changes[start].table]
            out += table.apply(destination, changes[start:end])
            start = end
        return out

    def _read_loop(
        self, reader: StreamReader, doorbell: StreamDoorbell, table: TableReplication
    ) -> None:
        """Wait on the doorbell until the stream holds unread records, read them, hand them to
        the links; after a batch, pause poll_ms so that records arriving fast share a read.

        While records flow (the last read found some), the next read goes straight to
        GetRecords: asking the doorbell first would answer at once and cost a round trip to
        the source endpoint per batch, on the path of every replicated write; only a read
        that comes back empty hands over to the doorbell."""
        region = reader.region
        stats = self.stats[region]
        pending: list[tuple[str, dict[str, Any]]] = []
        last: str | None = None  # the last sequence number read (None: not known yet)
        flowing = False  # the last read returned records
        while not self.stop_event.is_set():
            try:
                if not pending:
                    try:
                        latest = last if flowing else doorbell.wait(last)
                        pending = reader.poll()
                    except Exception as exc:  # the region's endpoint is down or faulted
                        self._read_failed(region, stats, exc)
                        flowing = False
                        self.wait(0.5)
                        continue
                    self._read_succeeded(region, stats)
                    flowing = bool(pending)
                    if not pending:
                        # Nothing after `latest` was there when the poll came back empty (after
                        # a restart: every record up to the checkpoint): wait for a newer one.
                        # "0" waits for the first record of an empty stream.
                        last = latest if latest is not None else "0"
                        continue
                    last = pending[-1][1]["dynamodb"]["SequenceNumber"]
                while pending:
                    shard, record = pending[0]
                    self._dispatch(table, reader.stream_arn, region, shard, record, stats)
                    pending.pop(0)
            except Exception as exc:  # classify's calls to the source failed: keep the records
                self._link_error(f"reading {region}: {type(exc).__name__}: {exc}")
                self.wait(0.5)
                continue
            self.wait(self.settings.poll_ms / 1000)
        doorbell.close()

    def _read_failed(self, region: str, stats: StreamStats, exc: Exception) -> None:
        # The exception's type and message only: botocore's name the operation and endpoint
        # URL, never credentials or item contents.
        message = f"{type(exc).__name__}: {exc}"
        if stats.failed(message, self.clock()):
            self.events.emit(
                "stream-read-failed",
                f"reading the {region} stream failed ({message}); retrying with the same "
                "iterators, nothing is skipped",
                region=region,
            )

    def _read_succeeded(self, region: str, stats: StreamStats) -> None:
        ended = stats.succeeded(self.clock())
        if ended is not None:
            seconds, failures = ended
            self.events.emit(
                "stream-read-recovered",
                f"reading the {region} stream works again after {seconds:.1f} s "
                f"({failures} failed polls)",
                region=region,
                failed_s=round(seconds, 3),
                failed_polls=failures,
            )

    def _dispatch(
        self,
        table: TableReplication,
        stream: str,
        region: str,
        shard: str,
        record: dict[str, Any],
        stats: StreamStats,
    ) -> None:
        decision = table.classify(region, record)
        seq = record["dynamodb"]["SequenceNumber"]
        stats.read += 1
        stats.last_record_at = self.clock()
        change = decision.change
        if change is None:
            if decision.reason == "echo":
                stats.echo += 1
            else:
                stats.other += 1
                self.events.emit("conflict", f"{decision.reason} in {region}", region=region)
            self.progress.track(stream, shard, seq, 0)
            return
        targets = [link for (a, _), link in self.links.items() if a == region]
        ticket = self.progress.track(stream, shard, seq, len(targets))
        stats.replicated += 1
        for link in targets:
            link.put(change, (stream, shard, ticket))

    def _checkpoint_loop(self) -> None:
        seen = -1
        while not self.wait(self.settings.checkpoint_ms / 1000):
            if self.progress.version != seen:
                seen = self.progress.version
                now_ms = int(self.clock() * 1000)
                self.tombstones.expire(now_ms)
                self._save()

    def _save(self) -> None:
        positions = {k: dict(v) for k, v in self.saved.positions.items()}
        for stream, shards in self.progress.positions().items():
            positions.setdefault(stream, {}).update(shards)
        self.store.save(Checkpoint(positions, self.tombstones.snapshot()))
        self.checkpointed_at = self.clock()
