"""Per-region AWS endpoints for replication tests: one moto process per region, as the sandbox.

Each runs the sandbox's own region endpoint (`python -m polyregion.sandbox.aws_endpoint`: moto +
the replication extension under uvicorn). They start in parallel and always stop.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from polyregion.sandbox.aws_endpoint import ENV_FAULT_TOKEN, FAULT_TOKEN_HEADER
from polyregion.stack import ENDPOINT_EXTENSIONS
from tests.support.moto import FAKE_CREDENTIALS, free_port, wait_http

# What the sandbox's supervisor holds: only a holder of the run's token switches faults.
FAULT_TOKEN = "test-fault-token"
FAULT_HEADERS = {FAULT_TOKEN_HEADER: FAULT_TOKEN}


@contextmanager
def region_endpoints(regions: tuple[str, ...], host: str = "127.0.0.1") -> Iterator[dict[str, str]]:
    procs: list[subprocess.Popen[bytes]] = []
    urls: dict[str, str] = {}
    try:
        for region in regions:
            port = free_port(host)
            argv = [sys.executable, "-m", "polyregion.sandbox.aws_endpoint", "--host", host]
            for spec in ENDPOINT_EXTENSIONS:  # as `up` runs them: with replication's extension
                argv += ["--extension", spec]
            procs.append(
                subprocess.Popen(
                    [*argv, "--port", str(port)],
                    env={**os.environ, **FAKE_CREDENTIALS, ENV_FAULT_TOKEN: FAULT_TOKEN},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            urls[region] = f"http://{host}:{port}"
        for url in urls.values():
            wait_http(f"{url}/_polyregion/replication", timeout_s=30)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
