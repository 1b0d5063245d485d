"""Cold start of the packaged app: `/api/health` on a fresh process of `polyregion build` output.

    .venv/bin/python bench/cold_start.py [--runs 30] [--write-docs]

What it does, all on loopback:
1. `polyregion build` into a temporary directory (pip, needs PyPI): the very asset deploy ships
   (polyregion package, runtime dependencies for Lambda, the topology file, the build marker);
2. boto3 into a second directory (the Lambda runtime provides it; the asset leaves it out);
3. a moto server with the app's tables, bucket, session secret and origin-verify secret;
4. `--runs` times: a fresh `python -S` (no site-packages) with PYTHONPATH = asset + boto3 and
   PYTHONDONTWRITEBYTECODE=1 (Lambda's code directory is read-only: nothing is cached between
   cold starts), which imports the handler named in the stack and answers one API Gateway
   HTTP API (payload 2.0) event for `/api/health`, with every check of the deployed function
   (DynamoDB, S3, session secret, origin-verify secret).
Route 53 waits 2 s for a health answer, warm-up included: the goal is p99 of the whole process
(interpreter start -> 200) < 2000 ms.

Limits: this machine runs CPython 3.11 on x86_64, the asset targets 3.14 on arm64; compiled
wheels built for arm64 (markupsafe's speedups) are not importable here and their pure-Python
fallbacks run instead (slower, so the figure errs high). Lambda's own init (sandbox, layer
extraction, network to AWS endpoints) is not included: only real AWS can show that.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = "bench-cold"
REGION = "us-east-1"
GOAL_MS = 2000.0

PROBE = """
import json, sys, time
t0 = time.perf_counter()
from blog.lambda_handler import handler
out = handler(json.loads(sys.argv[1]), None)
t1 = time.perf_counter()
assert out["statusCode"] == 200, out
print(json.dumps({"import_to_200_ms": (t1 - t0) * 1000, "body": json.loads(out["body"])}))
"""


def event(path: str) -> dict[str, object]:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "origin.example.com", "x-forwarded-proto": "https"},
        "requestContext": {
            "http": {
                "method": "GET",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "Amazon-Route53-Health-Check-Service",
            },
            "domainName": "origin.example.com",
            "stage": "$default",
            "requestId": "bench",
        },
        "isBase64Encoded": False,
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def provision(endpoint: str) -> None:
    from polyregion.data.clients import clients_for
    from polyregion.data.provision import provision_region
    from polyregion.topology import from_dict, naming

    topo = from_dict({"app": {"name": APP}})
    clients = clients_for(REGION, {REGION: endpoint})
    provision_region(topo, REGION, clients, secret_value="bench-session-secret-" + "x" * 40)
    clients.secretsmanager.create_secret(
        Name=naming.origin_verify_secret(topo), SecretString="bench-origin-value-" + "y" * 40
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"})
    from polyregion.data.local import local_moto
    from polyregion.topology import from_dict, naming

    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp, local_moto() as moto:
        work = Path(tmp)
        config = work / "polyregion.toml"
        config.write_text(f'[app]\nname = "{APP}"\n')
        asset, boto = work / "lambda", work / "boto3"
        t0 = time.monotonic()
        built = subprocess.run(
            [sys.executable, "-m", "polyregion.cli", "build", "-c", str(config), "-o", str(asset)],
            cwd=work,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        build_s = time.monotonic() - t0
        size = re.search(r"([0-9.]+ MB unzipped, [0-9.]+ MB zipped)", built.stdout)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(boto), "boto3"],
            check=True,
            capture_output=True,
        )
        provision(moto)
        topo = from_dict({"app": {"name": APP}})
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": f"{asset}{os.pathsep}{boto}",
            "PYTHONDONTWRITEBYTECODE": "1",
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            # As the regional stack sets them (regional.py), plus the local endpoint.
            "POLYREGION_CONFIG": str(asset / "polyregion.toml"),
            "POLYREGION_ORIGIN_VERIFY_SECRET": naming.origin_verify_secret(topo),
            "POLYREGION_SECURE_COOKIES": "1",
            "POLYREGION_AWS_ENDPOINTS": json.dumps({REGION: moto}),
        }
        rows = {}
        checks: list[str] = []
        for label in ("as built", "precompiled"):
            if label == "precompiled":
                # What `build` ships when python<runtime version> is on PATH (package.precompile),
                # simulated with this interpreter, the one running the probe.
                subprocess.run(
                    [sys.executable, "-m", "compileall", "-q", "-j", "0",
                     "--invalidation-mode", "unchecked-hash", str(asset)],
                    check=True, capture_output=True,
                )  # fmt: skip
            process_ms, inner_ms = [], []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, "-S", "-c", PROBE, json.dumps(event("/api/health"))],
                    cwd=work,  # not the source tree: "-c" puts the cwd first on sys.path
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                process_ms.append((time.perf_counter() - t0) * 1000)
                if done.returncode:
                    sys.exit(f"cold start failed:\n{done.stderr[-3000:]}")
                result = json.loads(done.stdout)
                inner_ms.append(result["import_to_200_ms"])
                checks = sorted(result["body"]["checks"])
            rows[label] = (process_ms, inner_ms)
    built_p99 = percentile(rows["as built"][0], 99)
    pre_p99 = percentile(rows["precompiled"][0], 99)
    lines = [
        "Command: `.venv/bin/python bench/cold_start.py --runs "
        f"{args.runs}` (load average {load:.1f} at start, {os.cpu_count()} CPUs). The asset is "
        f"`polyregion build`'s output ({size.group(1) if size else 'size not reported'}, built "
        f"in {build_s:.1f} s); each run is a fresh `python -S` process with PYTHONPATH = asset + "
        "boto3 and PYTHONDONTWRITEBYTECODE=1 (Lambda's code directory is read-only), answering "
        "one HTTP API event for `/api/health` with every check of the deployed function "
        f'({", ".join(checks)}) against a local moto server. "as built": no bytecode for the '
        "running Python in the asset (what Lambda sees when no python3.14 was on PATH at build "
        'time: every imported module is compiled at every cold start); "precompiled": the '
        "asset compiled for the running Python (what `build` ships when python<runtime> is on "
        "PATH, package.precompile).",
        "",
        f"| `/api/health`, fresh process, {args.runs} runs each | p50 | p99 | max |",
        "| --- | ---: | ---: | ---: |",
    ]
    for label, (proc, inner) in rows.items():
        lines += [
            f"| {label}: whole process (interpreter start -> 200) | "
            f"{statistics.median(proc):.0f} ms | {percentile(proc, 99):.0f} ms | "
            f"{max(proc):.0f} ms |",
            f"| {label}: import of the handler -> 200 | {statistics.median(inner):.0f} ms | "
            f"{percentile(inner, 99):.0f} ms | {max(inner):.0f} ms |",
        ]
    lines += [
        "",
        f"Goal p99 < {GOAL_MS:.0f} ms (Route 53's answer window, warm-up included): as built "
        f"{'met' if built_p99 < GOAL_MS else 'NOT met'} ({built_p99:.0f} ms), precompiled "
        f"{'met' if pre_p99 < GOAL_MS else 'NOT met'} ({pre_p99:.0f} ms). CPython "
        f"{sys.version_info.major}.{sys.version_info.minor} on x86_64 here, the asset targets "
        "3.14 on arm64 (arm64 C speedups fall back to pure Python); Lambda's own init and the "
        "network to real AWS endpoints are not included.",
    ]
    report = "\n".join(lines)
    print(report)
    if args.write_docs:
        write_docs(report)


START, END = "<!-- cold-start:begin -->", "<!-- cold-start:end -->"


def write_docs(report: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8")
    block = f"{START}\n{report}\n{END}"
    if START in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n## Cold start of the packaged app\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
