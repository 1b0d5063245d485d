"""Run the dashboard under uvicorn, on its own or as a child process of `polyregion up`.

Open event streams never end on their own, and uvicorn waits for open responses before it
stops; the graceful-shutdown timeout bounds that wait so Ctrl-C and `polyregion down` are quick.
"""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Mapping
from typing import Final

from polyregion.errors import ConfigError

SHUTDOWN_GRACE_S: Final = 1


def serve(
    control_url: str,
    *,
    host: str = "127.0.0.1",
    port: int = 7601,
    coordinates: Mapping[str, tuple[float, float]] | None = None,
) -> None:
    import uvicorn

    from polyregion.dashboard.app import create_app

    check_loopback(host)
    check_control_url(control_url)
    config = uvicorn.Config(
        create_app(control_url, coordinates=coordinates),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
    )
    server = uvicorn.Server(config)
    server.run()
    if not server.started:  # e.g. the port is taken: uvicorn logged why; exit non-zero
        sys.exit(1)


def check_loopback(host: str) -> None:
    """The dashboard can fire faults: it never listens beyond this machine."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise ConfigError("--host", host, "the dashboard listens on loopback only (127.0.0.1)")


def check_control_url(url: str) -> None:
    """The control API is the sandbox's, on this machine: never send traffic elsewhere."""
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise ConfigError(
            "--control-url", url, "the sandbox's control API on loopback (http://127.0.0.1:PORT)"
        )
