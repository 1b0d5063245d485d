"""Run the Next.js example (examples/nextjs-notes) as polyregion would: `sh run.sh` with the
contract's environment. Shared by its direct tests and the sandbox harness."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.moto import FAKE_CREDENTIALS, free_port, wait_http

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "nextjs-notes"
SERVER = EXAMPLE / ".next" / "standalone" / "server.js"


def require_built() -> None:
    """The build is `make examples` (a prerequisite of `make test`): say so, never build here."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the Next.js example needs Node 20+")
    if not SERVER.exists():
        pytest.fail(f"{SERVER} is missing: run `make examples` (npm ci && npm run build)")


@contextmanager
def nextjs_app(env: Mapping[str, str], log: Path, host: str = "127.0.0.1") -> Iterator[str]:
    """Start the standalone server on a free port; yield its URL; always stop it."""
    port = free_port(host)
    full = {
        "PATH": os.environ["PATH"],
        "HOST": host,
        "PORT": str(port),
        "NEXT_TELEMETRY_DISABLED": "1",
        **FAKE_CREDENTIALS,
        **env,
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["sh", "run.sh"], cwd=EXAMPLE, env=full, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://{host}:{port}"
    try:
        try:
            wait_http(f"{url}/api/health/live", timeout_s=30)
        except OSError:
            raise AssertionError(f"the Next.js app did not listen:\n{log.read_text()}") from None
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
