"""Dynamic pages through an edge vs the origin served directly, side by side in one run.

    .venv/bin/python bench/edge.py [--duration 10] [--connections 200] [--rounds 2] [--ttl 1]

One origin (the bundled blog, examples/blog, against a local moto server, seeded with 20 posts),
one edge (`python -m polyregion.sandbox.edge`, as `up` starts it, resolving the origin through
the sandbox's own DNS server, whose answer expires every `--ttl` seconds, 1 as in the sandbox's
fast profile) and Debian's `wrk` (`apt-get install wrk`) as the load generator:
`wrk -t1 -c<connections> -d<duration>s --latency` against the post list page `/`: the origin
at `--list-connections` (16), the origin at `--connections` (200), then the edge at 200,
`--rounds` times, interleaved. CPU per request of the edge and of the origin comes from their
own /proc/<pid>/stat, which the machine's load does not inflate. `BENCH_EDGE_PYSPY=out.txt`
also records the edge with py-spy (`-r 200 -f raw`, 8 s from its start) for a profile.
Everything listens on 127.0.0.1 (the edge on 127.0.0.2) and is stopped at the end. Needs wrk
on PATH.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

ORIGIN_HOST = "origin.bench.test"
VERIFY = ("x-origin-verify", "bench-verify-" + "v" * 32)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_listening(host: str, port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection((host, port), timeout=0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.05)


@contextmanager
def dns_server(ttl: int) -> Iterator[int]:
    """The sandbox's DNS server, answering the origin's name with 127.0.0.1 for everyone, with
    `ttl`: the edge asks again each time it expires, under load, as in the sandbox."""
    from polyregion.sandbox.route53.dns import DnsServer
    from polyregion.sandbox.route53.resolver import PerLocationRecord, Route53Resolver
    from polyregion.sandbox.route53.routing import Locator
    from polyregion.topology import from_dict

    locator = Locator(from_dict({"app": {"name": "bench-app"}}))
    record = PerLocationRecord(ORIGIN_HOST, {}, ttl=ttl, default_ip="127.0.0.1")
    with DnsServer(Route53Resolver(lambda: None, locator, sources=[record])) as dns:
        yield dns.port


@contextmanager
def edge_server(origin_port: int, dns_port: int) -> Iterator[int]:
    host = "127.0.0.2"
    port = free_port(host)
    argv = [
        sys.executable,
        "-m",
        "polyregion.sandbox.edge",
        "--location=bench",
        f"--subnet={ipaddress.IPv4Network('203.0.113.0/24')}",
        f"--host={host}",
        f"--port={port}",
        f"--origin-hostname={ORIGIN_HOST}",
        f"--origin-port={origin_port}",
        "--dns-host=127.0.0.1",
        f"--dns-port={dns_port}",
        f"--origin-verify-header={VERIFY[0]}",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "POLYREGION_EDGE_ORIGIN_VERIFY": VERIFY[1]}
    proc = subprocess.Popen(argv, env=env)
    try:
        wait_listening(host, port, proc, "edge")
        if profile := os.environ.get("BENCH_EDGE_PYSPY"):  # a path: py-spy the edge meanwhile
            subprocess.Popen(
                [
                    "py-spy",
                    "record",
                    "-d",
                    "8",
                    "-r",
                    "200",
                    "-f",
                    "raw",
                    "-o",
                    profile,
                    "-p",
                    str(proc.pid),
                ]
            )
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def pid_of(port: int) -> int:
    """The child serving `port` (its argv names the port)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"--port={port}".encode() in argv or (
            b"--port" in argv and argv[argv.index(b"--port") + 1] == str(port).encode()
        ):
            return int(proc.name)
    raise RuntimeError(f"no process serves port {port}")


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of a process: machine load does not inflate it."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


_LAT = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_NON2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_ERRORS = re.compile(r"Socket errors: (.*)")
_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(
    url: str, connections: int, seconds: float, pids: dict[str, int] | None = None
) -> dict[str, float | str]:
    """One wrk run; with `pids`, also each process's CPU ms per request."""
    before = {name: cpu_s(pid) for name, pid in (pids or {}).items()}
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    row: dict[str, float | str] = {"rps": float(_RPS.search(out).group(1))}  # type: ignore[union-attr]
    for pct, value, unit in _LAT.findall(out):
        row[f"p{pct}"] = float(value) * _UNIT[unit]
    row["non2xx"] = float(m.group(1)) if (m := _NON2XX.search(out)) else 0.0
    row["socket_errors"] = m.group(1) if (m := _ERRORS.search(out)) else "none"
    done = float(row["rps"]) * seconds
    for name, pid in (pids or {}).items():
        row[f"{name}_cpu_ms"] = (cpu_s(pid) - before[name]) / max(done, 1) * 1000
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument(
        "--ttl",
        type=int,
        default=1,
        help="the origin record's DNS TTL in seconds (1: the sandbox's fast profile)",
    )
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--list-connections", type=int, default=16, help="the light-load row")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/edge.py needs Debian's wrk: apt-get install wrk")
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"})
    from app import seed, server  # bench/app.py: the origin process and its data

    from polyregion.data.local import local_moto

    rows: list[tuple[str, dict[str, float | str]]] = []
    with local_moto() as moto:
        seed(moto)
        with server("app", moto) as app, dns_server(args.ttl) as dns, edge_server(app, dns) as edge:
            origin_url = f"http://127.0.0.1:{app}/"
            edge_url = f"http://127.0.0.2:{edge}/"
            pids = {"origin": pid_of(app), "edge": pid_of(edge)}
            wrk(origin_url, 16, 1)  # warm-up: caches, connections
            wrk(edge_url, 16, 1)
            n, d = args.connections, args.duration
            for i in range(args.rounds):
                # The post list under light load first: its p99 is the read cache's refresh.
                row = wrk(origin_url, args.list_connections, d, pids)
                rows.append(
                    (f"origin direct, {args.list_connections} connections, round {i + 1}", row)
                )
                rows.append(
                    (f"origin direct, {n} connections, round {i + 1}", wrk(origin_url, n, d, pids))
                )
                rows.append(
                    (f"through the edge, {n} connections, round {i + 1}", wrk(edge_url, n, d, pids))
                )
    print(render(rows, args))


def render(rows: list[tuple[str, dict[str, float | str]]], args: argparse.Namespace) -> str:
    lines = [
        f"`.venv/bin/python bench/edge.py --duration {args.duration:g} --connections "
        f"{args.connections} --rounds {args.rounds} --ttl {args.ttl}`: "
        f"`wrk -t1 -c<N> -d{args.duration:g}s --latency` on `/` (the post list, signed out), "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
        f"{os.getloadavg()[0]:.1f} at the end, {os.cpu_count()} cores:",
        "",
        "| run | requests/s | p50 ms | p90 ms | p99 ms | non-2xx | socket errors "
        "| edge CPU ms/req | origin CPU ms/req |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p90']:.2f} | {r['p99']:.2f} | "
            f"{r['non2xx']:.0f} | {r['socket_errors']} | {r['edge_cpu_ms']:.3f} | "
            f"{r['origin_cpu_ms']:.3f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
