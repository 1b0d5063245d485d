"""Where replication overhead goes, per write: the stages of bench/replication.py's workload.

    .venv/bin/python bench/replication_stages.py [--rate 200] [--seconds 10]

The same two region endpoints and the same paced writes (4 threads, 0 ms injected) as
bench/replication.py, but the replicator runs with timing probes (this file re-runs itself as
the replicator, wrapping StreamDoorbell.wait, StreamReader.poll, Link.put and
ReplicaWriter.apply). Per write, from the writer's `updated_at`:

- write -> source record: the source stream record's creation time (the endpoint's clock);
- source record -> read starts: the reader's doorbell and pause (--poll-ms);
- read (GetRecords): the call that returned the record, start to end;
- read -> queued: classification and dispatch to the pair's link;
- queued -> apply starts: waiting behind the previous batch (0 ms injected);
- apply starts -> destination record; destination record -> apply returns.

Also the CPU each process used per write (from /proc). All clocks are this machine's. Linux.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

TRACE_ENV = "BENCH_REPLICATION_TRACE"


def traced_replicator(argv: list[str]) -> int:
    """The replicator process (python -m polyregion.replication ARGV), with timing probes; the
    probes are written as JSON to $BENCH_REPLICATION_TRACE at exit."""
    import atexit

    from polyregion.replication import links, replica_writes, stream
    from polyregion.replication.__main__ import main

    log: list[list[Any]] = []
    wait, poll = stream.StreamDoorbell.wait, stream.StreamReader.poll
    apply, put = replica_writes.ReplicaWriter.apply, links.Link.put

    def traced_wait(self: Any, after: str | None) -> Any:
        t0 = time.time()
        out = wait(self, after)
        log.append(["bell", self.region, t0, time.time()])
        return out

    def traced_poll(self: Any, limit: int = 1000) -> Any:
        t0 = time.time()
        out = poll(self, limit)
        keys = [r["dynamodb"]["Keys"]["pk"]["S"] for _, r in out]
        log.append(["poll", self.region, t0, time.time(), keys])
        return out

    def traced_apply(self: Any, table: str, ops: Any) -> Any:
        t0 = time.time()
        out = apply(self, table, ops)
        keys = [op["item"].get("pk", {}).get("S") for op in ops]
        log.append(["apply", self.region, t0, time.time(), keys])
        return out

    def traced_put(self: Any, change: Any, ticket: Any) -> Any:
        log.append(["put", self.destination, time.time(), change.key.get("pk", {}).get("S")])
        return put(self, change, ticket)

    stream.StreamDoorbell.wait = traced_wait  # type: ignore[method-assign]
    stream.StreamReader.poll = traced_poll  # type: ignore[method-assign]
    replica_writes.ReplicaWriter.apply = traced_apply  # type: ignore[method-assign]
    links.Link.put = traced_put  # type: ignore[method-assign]
    atexit.register(lambda: Path(os.environ[TRACE_ENV]).write_text(json.dumps(log)))
    return main(argv)


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pid_listening(url: str) -> int:
    port = url.rsplit(":", 1)[1]
    out = subprocess.check_output(["ss", "-ltnpH", f"sport = :{port}"], text=True)
    return int(out.split("pid=", 1)[1].split(",", 1)[0])


def main() -> None:
    if sys.argv[1:2] == ["--traced-replicator"]:
        sys.exit(traced_replicator(sys.argv[2:]))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--seconds", type=float, default=10)
    args = ap.parse_args()

    import boto3
    from replication import (
        CREDS,
        REGIONS,
        bench_topology,
        endpoint,
        load_average,
        paced_writes,
        record_times,
        wait_backlog_zero,
        wait_replicated,
    )

    from polyregion.data.clients import ClientConfig, RegionClients
    from polyregion.data.provision import provision_region
    from polyregion.replication.lag import percentile
    from polyregion.replication.process import ReplicatorProcess

    class Traced(ReplicatorProcess):
        def argv(self) -> list[str]:
            # [python, -m, polyregion.replication, ...] -> [python, this file, --traced-..., ...]
            base = super().argv()
            return [base[0], __file__, "--traced-replicator", *base[3:]]

    os.environ.update(CREDS)
    tmp, config, topo, table = bench_topology("bench-stages")
    trace = tmp / "trace.json"
    os.environ[TRACE_ENV] = str(trace)
    session = boto3.session.Session()
    patient = ClientConfig(read_timeout_s=30.0, max_attempts=3)
    with ExitStack() as stack:
        eps = {r: stack.enter_context(endpoint()) for r in REGIONS}
        clients = {r: RegionClients(r, eps[r], patient, session) for r in REGIONS}
        for c in clients.values():
            provision_region(topo, c.region, c)
        rp = Traced(config=config, endpoints=eps, state_dir=tmp / "state", delay_ms=0, jitter_ms=0)
        rp.start()
        stack.callback(rp.stop)
        assert rp.proc is not None
        pids = {
            "source endpoint": pid_listening(eps[REGIONS[0]]),
            "destination endpoint": pid_listening(eps[REGIONS[1]]),
            "replicator": rp.proc.pid,
            "writer (this process)": os.getpid(),
        }
        cpu0 = {k: cpu_s(p) for k, p in pids.items()}
        load_before = load_average()
        n = paced_writes(clients[REGIONS[0]].dynamodb, table, "w", args.rate, args.seconds)
        wait_replicated(clients[REGIONS[1]], table, "w", n)
        wait_backlog_zero(rp)
        cpu = {k: (cpu_s(p) - cpu0[k]) * 1000 / n for k, p in pids.items()}
        load_after = load_average()
        rp.stop()  # writes the trace
        src = record_times(clients[REGIONS[0]], table, "w")
        dst = record_times(clients[REGIONS[1]], table, "w")
    log = json.loads(trace.read_text())
    read: dict[str, tuple[float, float]] = {}
    queued: dict[str, float] = {}
    applied: dict[str, tuple[float, float]] = {}
    for e in log:
        if e[0] == "poll" and e[1] == REGIONS[0]:
            for k in e[4]:
                read.setdefault(k, (e[2] * 1000, e[3] * 1000))
        elif e[0] == "put":
            queued.setdefault(e[3], e[2] * 1000)
        elif e[0] == "apply" and e[1] == REGIONS[1]:
            for k in e[4]:
                applied.setdefault(k, (e[2] * 1000, e[3] * 1000))
    stages: dict[str, list[float]] = {
        "total (destination record - updated_at)": [],
        "write -> source record": [],
        "source record -> read starts": [],
        "read (GetRecords)": [],
        "read -> queued": [],
        "queued -> apply starts": [],
        "apply starts -> destination record": [],
        "destination record -> apply returns": [],
    }
    for k, (d_at, updated) in dst.items():
        s_at = src[k][0]
        (r0, r1), q, (a0, a1) = read[k], queued[k], applied[k]
        for name, v in zip(
            stages,
            (
                d_at - updated,
                s_at - updated,
                r0 - s_at,
                r1 - r0,
                q - r1,
                a0 - q,
                d_at - a0,
                a1 - d_at,
            ),
            strict=True,
        ):
            stages[name].append(v)
    print(f"{n} writes at {args.rate:.0f}/s for {args.seconds:.0f} s, 0 ms injected; load "
          f"average {load_before} -> {load_after}")  # fmt: skip
    print("\n| stage | p50 ms | mean ms | p90 ms | p99 ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, values in stages.items():
        s = sorted(values)
        print(
            f"| {name} | {percentile(s, 50):.1f} | {statistics.mean(s):.1f} | "
            f"{percentile(s, 90):.1f} | {percentile(s, 99):.1f} |"
        )
    polls = sum(1 for e in log if e[0] == "poll" and e[1] == REGIONS[0])
    bells = sum(1 for e in log if e[0] == "bell" and e[1] == REGIONS[0])
    print(f"\nsource reads: {polls} GetRecords, {bells} doorbell waits; "
          f"{n / max(polls, 1):.1f} writes per read")  # fmt: skip
    print("CPU per write: " + ", ".join(f"{k} {v:.2f} ms" for k, v in cpu.items()))


if __name__ == "__main__":
    main()
