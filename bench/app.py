"""Benchmarks of the regional app, measured side by side in one run on this machine.

    .venv/bin/python bench/app.py [--duration 5] [--concurrency 16] [--write-docs]

Rows (the same uvicorn settings for every server: 1 process, uvloop, httptools, no access log):
- an empty ASGI handler (the baseline) vs the post page, the post list and /api/health of the
  real app against a local moto server, served from the app's read cache (the default 1 s);
- /api/health with a hung DynamoDB/S3/Secrets endpoint (a loopback socket that never answers);
- cold start: a fresh process from `import` of the Lambda handler to its first 200 (Function URL
  event, in-process through Mangum), and the size of the Lambda package without boto3.

The load generator is a minimal keep-alive HTTP/1.1 client on asyncio streams in this process;
the servers run in child processes; everything listens on 127.0.0.1 and is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The bundled blog is an example app run from its own directory (examples/blog).
sys.path.insert(0, str(ROOT / "examples" / "blog"))
BENCH_APP = "bench-app"  # topology name: tables bench-app-data, ...
REGION = "us-east-1"
SECRET = "bench-session-secret-" + "x" * 40


# -- servers (child processes) ----------------------------------------------------------------
async def baseline(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The empty ASGI handler every row is compared with."""
    if scope["type"] != "http":
        return
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
    )
    await send({"type": "http.response.body", "body": b"ok"})


def serve(target: str, port: int, endpoint: str) -> None:
    import uvicorn

    app: Any = baseline
    if target == "app":
        from blog.asgi import create_app
        from blog.settings import AppSettings

        from polyregion.topology import from_dict

        topo = from_dict({"app": {"name": BENCH_APP}})
        settings = AppSettings(
            topology=topo, region=REGION, endpoints={REGION: endpoint}, secure_cookies=False
        )
        app = create_app(settings)
        app.state.ctx.warm()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
        lifespan="off",
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(target: str, endpoint: str = "") -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", target, "--port", str(port), "--endpoint", endpoint],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"{target} server did not start") from None
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


@contextmanager
def hanging_endpoint() -> Iterator[str]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(256)
    srv.settimeout(0.1)
    stop, held = threading.Event(), []

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}"
    finally:
        stop.set()
        t.join()
        for c in held:
            c.close()
        srv.close()


# -- load generator ---------------------------------------------------------------------------
async def _worker(port: int, path: str, until: float, lat: list[float], bad: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = f"GET {path} HTTP/1.1\r\nhost: bench\r\n\r\n".encode()
    try:
        while time.perf_counter() < until:
            t0 = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            lat.append(time.perf_counter() - t0)
            if head[9:10] not in (b"2", b"5"):
                bad.append(int(head[9:12]))
    finally:
        writer.close()


Target = tuple[str, int, str, int]  # (row name, port, path, concurrency)


def load(targets: list[Target], duration: float, rounds: int) -> dict[str, dict[str, float]]:
    """Round-robin over the targets, `rounds` slices each: on a shared machine the background
    load drifts, and interleaving spreads that drift evenly over every row."""

    async def run(port: int, path: str, conc: int, seconds: float) -> tuple[list[float], float]:
        lat: list[float] = []
        bad: list[int] = []
        start = time.perf_counter()
        until = start + seconds
        await asyncio.gather(*(_worker(port, path, until, lat, bad) for _ in range(conc)))
        if bad:
            raise RuntimeError(f"{path}: unexpected statuses {sorted(set(bad))}")
        return lat, time.perf_counter() - start

    for _, port, path, conc in targets:  # warm-up: connections, caches, first boto3 calls
        asyncio.run(run(port, path, conc, 0.5))
    lats: dict[str, list[float]] = {name: [] for name, *_ in targets}
    spent: dict[str, float] = dict.fromkeys(lats, 0.0)
    for _ in range(rounds):
        for name, port, path, conc in targets:
            lat, elapsed = asyncio.run(run(port, path, conc, duration / rounds))
            lats[name] += lat
            spent[name] += elapsed
    out = {}
    for name, lat in lats.items():
        q = statistics.quantiles(lat, n=100)
        out[name] = {
            "rps": len(lat) / spent[name],
            "p50": q[49] * 1000,
            "p99": q[98] * 1000,
            "max": max(lat) * 1000,
        }
    return out


# -- cold start and package size ------------------------------------------------------------
COLD = """
import json, sys, time
t0 = time.perf_counter()
from blog import lambda_handler
event = json.load(open(sys.argv[1]))
out = lambda_handler.handler(event, None)
t1 = time.perf_counter()
assert out["statusCode"] == 200, out
print(json.dumps({"import_to_200_ms": (t1 - t0) * 1000}))
"""


def cold_start(path: str, endpoint: str, pythonpath: str, runs: int = 5) -> dict[str, float]:
    """`python -S` with PYTHONPATH = the Lambda asset + boto3: no site-packages, as on Lambda
    (whose runtime provides boto3), so nothing else installed here can inflate the import."""
    event = json.loads((ROOT / "examples/blog/tests/events/function_url_get.json").read_text())
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(event, f)
    config = Path(f.name).with_suffix(".toml")
    config.write_text(f'[app]\nname = "{BENCH_APP}"\n')
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": pythonpath,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "POLYREGION_CONFIG": str(config),
        "POLYREGION_AWS_ENDPOINTS": json.dumps({REGION: endpoint}),
    }
    inner, outer = [], []
    try:
        for _ in range(runs):
            t0 = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-S", "-c", COLD, f.name], env=env, capture_output=True, text=True
            )
            outer.append((time.perf_counter() - t0) * 1000)
            if out.returncode:
                raise RuntimeError(out.stderr)
            inner.append(json.loads(out.stdout)["import_to_200_ms"])
    finally:
        Path(f.name).unlink()
        config.unlink()
    return {"median_ms": statistics.median(inner), "process_ms": statistics.median(outer)}


# What the Lambda function imports (lambda_handler -> asgi): the CLI's typer and rich are not
# needed there. boto3 is provided by the Lambda runtime.
LAMBDA_REQUIREMENTS = ("starlette", "jinja2", "pyjwt", "mangum", "python-multipart")


def _install(target: Path, *args: str) -> None:
    # Compiled: Lambda's code directory is read-only, so an asset without .pyc files would
    # recompile every module on every cold start.
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(target), *args],
        check=True,
        capture_output=True,
    )


def _measure(target: Path) -> dict[str, Any]:
    for junk in target.glob("bin"):
        shutil.rmtree(junk)
    sizes: dict[str, int] = {}
    for p in target.rglob("*"):
        if p.is_file():
            top = p.relative_to(target).parts[0].split("-")[0].split(".")[0]
            sizes[top] = sizes.get(top, 0) + p.stat().st_size
    archive = target.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for p in target.rglob("*"):
            if p.is_file():
                z.write(p, p.relative_to(target))
    assert "boto3" not in sizes and "botocore" not in sizes
    return {
        "unzipped": sum(sizes.values()),
        "zipped": archive.stat().st_size,
        "largest": sorted(sizes.items(), key=lambda kv: -kv[1])[:5],
    }


def lambda_dirs(tmp: Path) -> tuple[Path, Path, Path]:
    """(the Lambda asset, boto3 as the runtime provides it, the package with all core deps)."""
    lean, boto, full = tmp / "lambda", tmp / "boto3", tmp / "core"
    _install(lean, *LAMBDA_REQUIREMENTS)
    _install(lean, "--no-deps", str(ROOT))
    _install(boto, "boto3")
    _install(full, str(ROOT))
    return lean, boto, full


# -- the run ---------------------------------------------------------------------------------
def seed(endpoint: str) -> str:
    from blog.data.posts import PostStore

    from polyregion.data.clients import clients_for
    from polyregion.data.provision import provision_region
    from polyregion.topology import from_dict, naming

    topo = from_dict({"app": {"name": BENCH_APP}})
    clients = clients_for(REGION, {REGION: endpoint})
    provision_region(topo, REGION, clients, secret_value=SECRET)
    store = PostStore(clients.dynamodb, naming.table(topo, naming.BLOG_TABLE), REGION)
    for i in range(20):
        store.create(slug=f"post-{i}", title=f"Post {i}", body="Lorem ipsum " * 80, author="bench")
    return "post-7"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=6.0, help="seconds per row")
    parser.add_argument("--rounds", type=int, default=6, help="interleaved slices per row")
    parser.add_argument("--concurrency", type=int, default=16, help="keep-alive connections")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.endpoint)
        return

    sys.path.insert(0, str(ROOT))
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"})
    from polyregion.data.local import local_moto

    d, c, n = args.duration, args.concurrency, args.rounds
    with local_moto() as moto, tempfile.TemporaryDirectory() as tmp:
        slug = seed(moto)
        lean, boto, full = lambda_dirs(Path(tmp))
        size = {"lambda": _measure(lean), "core": _measure(full)}
        with (
            server("baseline") as base,
            server("app", moto) as app,
            hanging_endpoint() as hung,
            server("app", hung) as sick,
        ):
            rows = load(
                [
                    ("empty ASGI handler (baseline)", base, "/", c),
                    (f"post page /posts/{slug}", app, f"/posts/{slug}", c),
                    ("post list /", app, "/", c),
                    ("/api/health (healthy, 1 s result cache)", app, "/api/health", c),
                    ("/api/health/live", app, "/api/health/live", c),
                ],
                d,
                n,
            )
            # One contiguous window: the result cache (1 s) and the check timeout (1 s) interact,
            # and slices as short as the cache period would only ever see expired entries.
            rows |= load(
                [("/api/health, dependencies hung (4 connections)", sick, "/api/health", 4)], d, 1
            )
        path = f"{lean}{os.pathsep}{boto}"
        cold_live = cold_start("/api/health/live", moto, path)
        cold_health = cold_start("/api/health", moto, path)
    report = render(rows, cold_live, cold_health, size, args)
    print(report)
    if args.write_docs:
        write_docs(report)


def render(
    rows: dict[str, dict[str, float]],
    cold_live: dict[str, float],
    cold_health: dict[str, float],
    size: dict[str, Any],
    args: argparse.Namespace,
) -> str:
    base = next(iter(rows.values()))["rps"]
    lines = [
        "## Regional app",
        "",
        f"Measured with `.venv/bin/python bench/app.py --duration {args.duration:g} "
        f"--concurrency {args.concurrency} --rounds {args.rounds}` on "
        f"{time.strftime('%Y-%m-%d')}, "
        f"{os.cpu_count()} cores shared with other work (load average "
        f"{os.getloadavg()[0]:.1f} at the end): absolute figures are pessimistic, the ratios "
        "between rows (measured side by side) are the point. One uvicorn process per server "
        "(uvloop, httptools, no access log), app against a local moto server, default settings "
        "(read cache 1 s, health cache 1 s, check timeout 1000 ms); rows interleaved in "
        "rounds; load from a keep-alive asyncio client in the bench process.",
        "",
        "| row | requests/s | % of baseline | p50 ms | p99 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r['rps']:.0f} | {100 * r['rps'] / base:.0f}% | {r['p50']:.1f} | "
            f"{r['p99']:.1f} | {r['max']:.1f} |"
        )
    names = list(rows)
    page, listing, health, hung = (rows[names[i]] for i in (1, 2, 3, 5))

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    goals = [
        f"- post page and list >= 40% of the baseline's requests/s (read cache): "
        f"{100 * page['rps'] / base:.0f}% and {100 * listing['rps'] / base:.0f}%, "
        f"{verdict(min(page['rps'], listing['rps']) >= 0.4 * base)}",
        f"- `/api/health` p99 < 20 ms, healthy: {health['p99']:.1f} ms, "
        f"{verdict(health['p99'] < 20)}",
        f"- `/api/health` < 1.5 s with a hung dependency (slowest answer): {hung['max']:.0f} ms, "
        f"{verdict(hung['max'] < 1500)}",
        f"- cold start import -> first 200 < 400 ms: {cold_live['median_ms']:.0f} ms "
        f"(`/api/health/live`), {verdict(cold_live['median_ms'] < 400)}",
    ]
    lean, full = size["lambda"], size["core"]
    largest = ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in lean["largest"])
    lines += [
        "",
        "Goals of the issue, against this run:",
        "",
        *goals,
        "",
        "| cold start: `python -S`, PYTHONPATH = Lambda asset + boto3, handler + Function URL "
        "event | median of 5 |",
        "| --- | ---: |",
        f"| import -> first 200, `/api/health/live` | {cold_live['median_ms']:.0f} ms |",
        "| import -> first 200, `/api/health` (builds 3 boto3 clients, 3 calls to moto) | "
        f"{cold_health['median_ms']:.0f} ms |",
        "| whole process incl. interpreter start, `/api/health/live` | "
        f"{cold_live['process_ms']:.0f} ms |",
        "",
        f"Lambda package without boto3 (polyregion + {', '.join(LAMBDA_REQUIREMENTS)} and their "
        f"dependencies): {lean['unzipped'] / 1e6:.1f} MB unzipped, {lean['zipped'] / 1e6:.1f} MB "
        f"zipped (largest: {largest}). With every core dependency, the CLI's typer and rich "
        f"included: {full['unzipped'] / 1e6:.1f} MB unzipped, "
        f"{full['zipped'] / 1e6:.1f} MB zipped.",
        "",
    ]
    return "\n".join(lines)


def write_docs(report: str) -> None:
    path = ROOT / "docs/benchmarks.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    start = text.find("## Regional app")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + report + ("" if end < 0 else text[end + 1 :])
    else:
        text = text.rstrip("\n") + "\n\n" + report
    path.write_text(text)


if __name__ == "__main__":
    main()
