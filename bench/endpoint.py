"""What one call costs a sandbox region endpoint: wall time and the endpoint's own CPU.

Starts one region endpoint (`polyregion.sandbox.aws_endpoint`, as the sandbox runs it) on a free
loopback port, provisions the global table, then times N calls of each kind one after the other
and reads the endpoint process's CPU time from /proc before and after. Linux only.

    .venv/bin/python bench/endpoint.py [--calls 300]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from replication import CREDS, bench_topology, endpoint, put

from polyregion.data.clients import RegionClients
from polyregion.data.provision import provision_region
from polyregion.replication.replica_writes import Op, ReplicaWriter

REGION = "us-east-1"


def endpoint_cpu_s(port: str) -> float:
    """utime + stime of the endpoint process listening on `port` (found by its argv)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            if b"polyregion.sandbox.aws_endpoint" in argv and port.encode() in argv:
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            continue
    raise SystemExit(f"no endpoint process on port {port}")


def measure(name: str, port: str, calls: int, fn: Callable[[int], Any]) -> None:
    cpu, start = endpoint_cpu_s(port), time.perf_counter()
    for i in range(calls):
        fn(i)
    wall = (time.perf_counter() - start) / calls * 1000
    used = (endpoint_cpu_s(port) - cpu) / calls * 1000
    print(f"| {name} | {calls} | {wall:.2f} ms | {used:.2f} ms |")


def replica_ops(prefix: str, n: int) -> list[Op]:
    ops: list[Op] = []
    for j in range(n):
        at = str(int(time.time() * 1000))
        item = {
            "pk": {"S": f"{prefix}-{j}"},
            "sk": {"S": "item"},
            "body": {"S": "x" * 200},
            "updated_at": {"N": at},
            "updated_region": {"S": "eu-west-1"},
            "version": {"N": "1"},
        }
        ops.append({"op": "put", "stamp": f"{at}|eu-west-1|1", "item": item})
    return ops


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=300)
    args = ap.parse_args()
    os.environ.update(CREDS)
    import boto3
    import httpx

    _, _, topo, table = bench_topology("bench-endpoint")
    with endpoint() as url:
        port = url.rsplit(":", 1)[1]
        c = RegionClients(REGION, url, session=boto3.session.Session())
        provision_region(topo, REGION, c)
        streams = c.dynamodbstreams
        arn = c.dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        iterator: list[str] = []

        def get_records(_: int) -> None:
            resp = streams.get_records(ShardIterator=iterator[0], Limit=1000)
            iterator[0] = resp["NextShardIterator"]

        bell = httpx.Client(base_url=url, trust_env=False)
        writer = ReplicaWriter(REGION, url)
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        print("| call | calls | wall per call | endpoint CPU per call |")
        print("| --- | ---: | ---: | ---: |")
        measure(
            "PutItem (boto3)", port, args.calls, lambda i: put(c.dynamodb, table, f"p{i}", REGION)
        )
        iterator.append(  # LATEST, after the puts: every GetRecords below finds nothing new
            streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
            )["ShardIterator"]
        )
        measure("GetRecords, nothing new (boto3)", port, args.calls, get_records)
        streams.get_records(ShardIterator=iterator[0], Limit=1000)  # the reads below: new only

        def ten_new(i: int) -> None:
            # The ten puts are timed too: subtract the PutItem row x 10 for the read alone.
            for j in range(10):
                put(c.dynamodb, table, f"g{i}-{j}", REGION)
            resp = streams.get_records(ShardIterator=iterator[0], Limit=1000)
            assert len(resp["Records"]) == 10, len(resp["Records"])
            iterator[0] = resp["NextShardIterator"]

        measure(
            "10 PutItem + GetRecords of those 10 records (boto3)", port, args.calls // 10, ten_new
        )
        measure(
            "stream doorbell, answers at once",
            port,
            args.calls,
            lambda i: bell.get(
                "/_polyregion/dynamodb/stream-wait", params={"region": REGION, "table": table}
            ),
        )
        measure(
            "replica writes, 1 change",
            port,
            args.calls,
            lambda i: writer.apply(table, replica_ops(f"a{i}", 1)),
        )
        measure(
            "replica writes, 10 changes",
            port,
            args.calls // 3,
            lambda i: writer.apply(table, replica_ops(f"b{i}", 10)),
        )
        writer.close()
        bell.close()


if __name__ == "__main__":
    main()
