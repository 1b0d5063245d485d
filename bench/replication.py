"""Replication benchmarks: overhead above the injected delay, and catch-up after a partition.

Runs two of the sandbox's region endpoints (`polyregion.sandbox.aws_endpoint`: moto + the
replication extension under uvicorn) and a real replicator process with zero injected delay,
on loopback. Every run is bounded.

    .venv/bin/python bench/replication.py [--seconds 10] [--rates 50,200] [--runs 1]
        [--backlog 2000]

Every run of every rate is reported, with the machine's load average (1 min) before and after
it: the machine is shared, and its load moves the tail more than anything else.

Overhead is measured independently of the replicator: the time at which the destination
endpoint recorded the replicated write (its stream's ApproximateCreationDateTime) minus the
writer's clock in the item (`updated_at`); both clocks are this machine's.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from polyregion.data.clients import ClientConfig, RegionClients
from polyregion.data.provision import provision_region
from polyregion.replication.lag import percentile
from polyregion.replication.process import ReplicatorProcess
from polyregion.replication.s3 import configure_buckets
from polyregion.stack import ENDPOINT_EXTENSIONS
from polyregion.topology import Topology, load, naming

CREDS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
REGIONS = ("us-east-1", "eu-west-1")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def endpoint() -> Any:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "polyregion.sandbox.aws_endpoint",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *(arg for spec in ENDPOINT_EXTENSIONS for arg in ("--extension", spec)),
        ],
        env={**os.environ, **CREDS},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/_polyregion/replication", timeout=1).close()  # noqa: S310
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def put(client: Any, table: str, pk: str, region: str) -> None:
    client.put_item(
        TableName=table,
        Item={
            "pk": {"S": pk},
            "sk": {"S": "item"},
            "body": {"S": "x" * 200},
            "updated_at": {"N": str(int(time.time() * 1000))},
            "updated_region": {"S": region},
            "version": {"N": "1"},
        },
    )


def paced_writes(client: Any, table: str, prefix: str, rate: float, seconds: float) -> int:
    """Write at `rate`/s for `seconds` from 4 threads sharing one schedule; returns the count."""
    total = int(rate * seconds)
    start = time.monotonic() + 0.2
    counter = iter(range(total))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            wait = start + i / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            put(client, table, f"{prefix}-{i:06d}", REGIONS[0])

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return total


def record_times(c: RegionClients, table: str, prefix: str) -> dict[str, tuple[float, int]]:
    """key -> (its first stream record's creation time in ms, the item's updated_at)."""
    ddb, streams = c.dynamodb, c.dynamodbstreams
    arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    out: dict[str, tuple[float, int]] = {}
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while it:
            resp = streams.get_records(ShardIterator=it, Limit=1000)
            for r in resp["Records"]:
                d = r["dynamodb"]
                pk = d["Keys"]["pk"]["S"]
                if pk.startswith(prefix) and "NewImage" in d and pk not in out:
                    at = d["ApproximateCreationDateTime"].timestamp() * 1000
                    out[pk] = (at, int(d["NewImage"]["updated_at"]["N"]))
            if not resp["Records"]:
                break
            it = resp.get("NextShardIterator")
    return out


def replicated_overheads(c: RegionClients, table: str, prefix: str) -> list[float]:
    """Per key, its first stream record's time minus the writer's clock in the item."""
    return [at - written for at, written in record_times(c, table, prefix).values()]


def load_average() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def wait_replicated(c: RegionClients, table: str, prefix: str, n: int) -> list[float]:
    """The overheads once all `n` writes reached the destination. The replicator's backlog
    being empty is not enough: a record it has not read yet is in no backlog."""
    deadline = time.monotonic() + 60
    while True:
        over = replicated_overheads(c, table, prefix)
        if len(over) >= n or time.monotonic() > deadline:
            assert len(over) == n, (len(over), n)
            return over
        time.sleep(0.1)


def bench_topology(name: str) -> tuple[Path, Path, Topology, str]:
    """A private temp dir with a default topology named `name`: (dir, config, topology, table)."""
    tmp = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    config = tmp / "polyregion.toml"
    config.write_text(f'[app]\nname = "{name}"\n', encoding="utf-8")
    topo = load(config)
    return tmp, config, topo, naming.table(topo, naming.BLOG_TABLE)


def wait_backlog_zero(rp: ReplicatorProcess, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        st = rp.status()
        if st["in_flight"] == 0 and all(p["backlog"] == 0 for p in st["pairs"]):
            return
        time.sleep(0.05)
    raise SystemExit(f"replication did not drain in time: {rp.status()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rates", default="50,200")
    ap.add_argument("--runs", type=int, default=1, help="runs of each rate, each reported")
    ap.add_argument("--backlog", type=int, default=2000, help="0: no catch-up run")
    ap.add_argument("--verbose", action="store_true", help="show the replicator's events")
    args = ap.parse_args()
    os.environ.update(CREDS)
    import boto3

    tmp, config, topo, table = bench_topology("bench-repl")
    session = boto3.session.Session()
    with ExitStack() as stack:
        eps = {r: stack.enter_context(endpoint()) for r in REGIONS}
        # The benchmark's own calls wait out a loaded machine (the default 2 s read timeout
        # crashed runs at load 12-18); a retried write lands twice, and only its first stream
        # record counts (replicated_overheads).
        patient = ClientConfig(read_timeout_s=30.0, max_attempts=3)
        clients = {r: RegionClients(r, eps[r], patient, session) for r in REGIONS}
        for r, c in clients.items():
            provision_region(topo, r, c)
        configure_buckets(topo, clients)
        rp = ReplicatorProcess(
            config=config,
            endpoints=eps,
            state_dir=tmp / "state",
            delay_ms=0,
            jitter_ms=0,
            log=None if args.verbose else subprocess.DEVNULL,
        )
        rp.start()
        stack.callback(rp.stop)
        print(f"machine: {os.cpu_count()} cores, load average {load_average()}")
        print(
            "| workload | run | load before -> after | writes | p50 overhead | p99 overhead | max |"
        )
        print("| --- | ---: | --- | ---: | ---: | ---: | ---: |")
        for rate in (float(r) for r in args.rates.split(",")):
            for run in range(1, args.runs + 1):
                prefix = f"r{int(rate)}-{run:03d}"
                load_before = load_average()
                n = paced_writes(clients[REGIONS[0]].dynamodb, table, prefix, rate, args.seconds)
                over = sorted(wait_replicated(clients[REGIONS[1]], table, prefix, n))
                print(
                    f"| {rate:.0f} writes/s for {args.seconds:.0f} s, 0 ms injected | {run} | "
                    f"{load_before} -> {load_average()} | {n} | {percentile(over, 50):.1f} ms | "
                    f"{percentile(over, 99):.1f} ms | {over[-1]:.1f} ms |",
                    flush=True,
                )
                wait_backlog_zero(rp)
        if args.backlog <= 0:
            return
        # Catch-up: a backlog built during a partition, drained after heal.
        rp.partition(*REGIONS)
        n = paced_writes(clients[REGIONS[0]].dynamodb, table, "part", 5000, args.backlog / 5000)
        before = rp.status()
        healed = time.monotonic()
        rp.heal()
        wait_backlog_zero(rp)
        took = time.monotonic() - healed
        backlog = next(p["backlog"] for p in before["pairs"] if p["source"] == REGIONS[0])
        print(
            f"\ncatch-up after partition: {backlog} queued items ({n} written) drained in "
            f"{took:.2f} s = {backlog / took:.0f} items/s"
        )


if __name__ == "__main__":
    main()
