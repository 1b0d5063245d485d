"""A real sandbox (`polyregion up --fast --detach`) shared by a test module, always stopped.

Its topology file uses free ports and its own loopback block, so it never collides with a
sandbox a person is running (or another test session).
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from polyregion.sandbox.client import SandboxClient
from polyregion.topology import load


@dataclass
class RunningSandbox:
    config: Path
    run_dir: Path
    env: dict[str, str]
    client: SandboxClient
    status: dict[str, Any]

    def cli(
        self, *args: str, config: Path | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        argv = [*args, "--config", str(config or self.config)]
        return subprocess.run(
            [sys.executable, "-m", "polyregion.cli", *argv],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def region(self, name: str) -> dict[str, Any]:
        return next(r for r in self.status["regions"] if r["name"] == name)

    def location(self, name: str) -> dict[str, Any]:
        return next(loc for loc in self.status["locations"] if loc["name"] == name)


def _block_is_free(prefix: str, base: int) -> bool:
    hosts = [f"{prefix}.{i}.1" for i in (1, 2, 3)]
    second = int(prefix.split(".")[1])
    hosts += [f"127.{second + 1}.{i}.1" for i in (1, 2, 3)] + ["127.0.0.1"]
    for host in hosts:
        for port in range(base, base + 6):
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind((host, port))
                except OSError:
                    return False
    return True


def write_topology(path: Path, *, app: str = "", extra: str = "", **sandbox: Any) -> Path:
    """A topology with free ports; `app` adds lines to [app], `extra` whole sections."""
    # Ports below the ephemeral range (32768+ on Linux): an outgoing connection elsewhere on
    # the machine cannot grab one between this check and the sandbox binding it.
    rng = random.Random()
    while True:
        prefix = f"127.{rng.randrange(100, 250, 2)}"
        base = rng.randrange(20000, 32000, 10)
        if _block_is_free(prefix, base) and _block_is_free("127.0", base + 6):
            break
    settings = {
        "base_port": base,
        "control_port": base + 6,
        "dns_port": base + 7,
        "loopback_prefix": prefix,
        **sandbox,
    }
    lines = [f'[app]\nname = "sbxtest"\n{app}', "[sandbox]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


def wait_for(predicate: Callable[[], bool], timeout_s: float, step_s: float = 0.05) -> float:
    """Seconds until `predicate()` held; AssertionError after `timeout_s`."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"condition not met within {timeout_s:.1f} s")
        time.sleep(step_s)
    return time.monotonic() - started


@contextmanager
def running_sandbox(
    tmp: Path, *, app: str = "", extra: str = "", **sandbox_settings: Any
) -> Iterator[RunningSandbox]:
    """`polyregion up --fast --detach` on a temp topology with free ports; always `down`."""
    config = write_topology(tmp / "polyregion.toml", app=app, extra=extra, **sandbox_settings)
    env = {**os.environ, "POLYREGION_RUN_DIR": str(tmp / "run")}
    env.pop("POLYREGION_CONFIG", None)
    client = SandboxClient.for_topology(load(config))
    running = RunningSandbox(config, tmp / "run", env, client, {})
    try:
        started = running.cli("up", "--fast", "--detach", timeout=120)
        assert started.returncode == 0, started.stderr + started.stdout
        running.status = client.status()
        yield running
    finally:
        running.cli("down")
        client.close()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path_factory.mktemp("sandbox")) as running:
        yield running
