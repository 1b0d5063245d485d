"""Per-region AWS endpoints for replication tests: one moto process per region, as the sandbox.

Each runs `python -m polyregion.replication.endpoint` (moto + the replication extension, under
uvicorn like the sandbox's endpoints).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from tests.support.moto import FAKE_CREDENTIALS, free_port, wait_http


@contextmanager
def region_endpoint(host: str = "127.0.0.1") -> Iterator[str]:
    port = free_port(host)
    argv = [sys.executable, "-m", "polyregion.replication.endpoint", "--host", host]
    proc = subprocess.Popen(
        [*argv, "--port", str(port)],
        env={**os.environ, **FAKE_CREDENTIALS},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://{host}:{port}"
    try:
        wait_http(f"{url}/_polyregion/replication")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def region_endpoints(regions: tuple[str, ...]) -> Iterator[dict[str, str]]:
    with ExitStack() as stack:
        yield {r: stack.enter_context(region_endpoint()) for r in regions}
