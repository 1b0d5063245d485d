"""A local AWS for people without an AWS account: a moto server child process on loopback.

`python -m blog` (examples/blog) uses it when no endpoints are configured; the sandbox runs its own.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from polyregion.errors import SandboxError

LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
}


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            raise SandboxError(f"the local moto server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback only
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SandboxError(f"the local moto server did not answer at {url}") from None
            time.sleep(0.05)


@contextmanager
def local_moto(host: str = "127.0.0.1", timeout_s: float = 30.0) -> Iterator[str]:
    """Start `moto.server` on a free loopback port; yield its URL; always stop it."""
    try:
        import moto  # noqa: F401
    except ImportError:
        raise SandboxError(
            "moto is not installed: `pip install 'polyregion[sandbox]'` (or `make up`), "
            "or run against real AWS with --aws real"
        ) from None
    port = free_port(host)
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", host, "-p", str(port)],
        env={**os.environ, **LOCAL_CREDENTIALS},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://{host}:{port}"
    try:
        _wait(f"{url}/moto-api/", proc, timeout_s)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
