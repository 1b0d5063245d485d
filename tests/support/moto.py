"""A real moto server process on a free loopback port, for functional tests.

The process handling is the app's own (`python -m blog` starts moto the same way).
"""

from __future__ import annotations

import time
import urllib.request

from polyregion.data.local import LOCAL_CREDENTIALS as FAKE_CREDENTIALS
from polyregion.data.local import free_port
from polyregion.data.local import local_moto as moto_server

__all__ = ["FAKE_CREDENTIALS", "free_port", "moto_server", "wait_http"]


def wait_http(url: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback only
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
