"""Start, reach and stop the replicator process (used by `polyregion up`, tests and benches)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from polyregion.errors import SandboxError
from polyregion.replication.service import READY_FILE


class ReplicatorProcess:
    """The replicator as a child process; `kill()` is a real SIGKILL, `start()` again resumes."""

    def __init__(
        self,
        *,
        config: str | Path | None,
        endpoints: Mapping[str, str],
        state_dir: Path,
        control_port: int = 0,
        delay_ms: float | None = None,
        jitter_ms: float | None = None,
        extra_args: tuple[str, ...] = (),
        log: IO[Any] | int | None = subprocess.DEVNULL,
    ) -> None:
        self.config = config
        self.endpoints = dict(endpoints)
        self.state_dir = state_dir
        self.control_port = control_port
        self.delay_ms = delay_ms
        self.jitter_ms = jitter_ms
        self.extra_args = extra_args
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def argv(self) -> list[str]:
        argv = [sys.executable, "-m", "polyregion.replication", "--state-dir", str(self.state_dir)]
        argv += [
            "--endpoints",
            json.dumps(self.endpoints),
            "--control-port",
            str(self.control_port),
        ]
        if self.config is not None:
            argv += ["--config", str(self.config)]
        if self.delay_ms is not None:
            argv += ["--delay-ms", str(self.delay_ms)]
        if self.jitter_ms is not None:
            argv += ["--jitter-ms", str(self.jitter_ms)]
        return argv + list(self.extra_args)

    def start(self, timeout_s: float = 20.0) -> str:
        ready = self.state_dir / READY_FILE
        self.state_dir.mkdir(parents=True, exist_ok=True)
        ready.unlink(missing_ok=True)
        self.proc = subprocess.Popen(self.argv(), stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + timeout_s
        while True:
            if self.proc.poll() is not None:
                raise SandboxError(f"replicator exited with code {self.proc.returncode} at start")
            try:
                info = json.loads(ready.read_text(encoding="utf-8"))
                if info.get("pid") == self.proc.pid:
                    self.url = f"http://127.0.0.1:{info['control_port']}"
                    return self.url
            except (FileNotFoundError, json.JSONDecodeError):
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise SandboxError("replicator did not become ready in time")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, no final checkpoint."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()

    # -- control API -------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.url}{path}", data=data, method=method)  # noqa: S310
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310 - loopback
            return json.loads(resp.read())

    def status(self) -> dict[str, Any]:
        return self._call("GET", "/status")  # type: ignore[no-any-return]

    def events(self, since: int = 0) -> list[dict[str, Any]]:
        return self._call("GET", f"/events?since={since}")["events"]  # type: ignore[no-any-return]

    def partition(self, a: str, b: str) -> None:
        self._call("POST", "/partition", {"a": a, "b": b})

    def heal(self) -> None:
        self._call("POST", "/heal", {})
