"""DNS data plane throughput: queries/s over UDP on loopback against the emulated Route 53.

The server runs in a child process (as in the sandbox it shares a process with other threads,
so this is its ceiling); the client keeps WINDOW queries in flight on one UDP socket, each an
`origin.<domain>` A query with an EDNS client subnet of a topology location, so every answer
goes through location lookup, latency ranking and health filtering.

    .venv/bin/python bench/dns.py [--seconds 5] [--window 1,16]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def serve() -> None:
    """Child: a DNS server over a three-region zone; prints its port, runs until stdin closes."""
    from polyregion.sandbox.route53.dns import DnsServer
    from polyregion.sandbox.route53.resolver import Route53Resolver
    from polyregion.sandbox.route53.routing import Locator
    from tests.sandbox.route53.helpers import three_region_topology, zone

    topo = three_region_topology()
    snap = zone(topo)
    server = DnsServer(Route53Resolver(lambda: snap, Locator(topo), is_healthy=lambda _: True))
    server.start()
    print(server.port, flush=True)
    sys.stdin.read()
    server.stop()


def query(qid: int, subnet: tuple[int, int, int]) -> bytes:
    import dnslib

    q = dnslib.DNSRecord.question("origin.example.com", "A")
    q.header.id = qid
    ecs = struct.pack("!HBB", 1, 24, 0) + bytes(subnet)
    q.add_ar(dnslib.EDNS0(udp_len=1232, opts=[dnslib.EDNSOption(8, ecs)]))
    return bytes(q.pack())


def run(port: int, seconds: float, window: int) -> tuple[float, float, float]:
    subnets = [(198, 51, 100), (203, 0, 113), (192, 0, 2)]
    packets = [query(i, subnets[i % 3]) for i in range(65536)]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(("127.0.0.1", port))
    sock.settimeout(2)
    sent_at: dict[int, float] = {}
    latencies: list[float] = []
    qid, answered = 0, 0
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    for _ in range(window):
        sent_at[qid] = time.perf_counter()
        sock.send(packets[qid])
        qid = (qid + 1) % 65536
    while time.perf_counter() < deadline:
        try:
            data = sock.recv(2048)
        except TimeoutError:
            sent_at.clear()  # lost packets: refill the window
            for _ in range(window):
                sent_at[qid] = time.perf_counter()
                sock.send(packets[qid])
                qid = (qid + 1) % 65536
            continue
        rid = struct.unpack("!H", data[:2])[0]
        if rid in sent_at:
            latencies.append(time.perf_counter() - sent_at.pop(rid))
            answered += 1
        sent_at[qid] = time.perf_counter()
        sock.send(packets[qid])
        qid = (qid + 1) % 65536
    elapsed = time.perf_counter() - start
    sock.close()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)] if latencies else float("nan")
    return answered / elapsed, statistics.median(latencies) * 1000, p99 * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="per run (bounded)")
    parser.add_argument("--window", default="1,16", help="queries in flight, comma-separated")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
        print("| in flight | queries/s | p50 ms | p99 ms |\n| ---: | ---: | ---: | ---: |")
        for window in (int(w) for w in args.window.split(",")):
            qps, p50, p99 = run(port, args.seconds, window)
            print(f"| {window} | {qps:,.0f} | {p50:.2f} | {p99:.2f} |")
    finally:
        if child.stdin:
            child.stdin.close()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


if __name__ == "__main__":
    main()
