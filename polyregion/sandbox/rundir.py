"""The run directory of one sandbox: its lock, pid, child process groups and logs.

One directory per control port (`~/.polyregion/run/sandbox-7600`, or under
$POLYREGION_RUN_DIR), so two sandboxes with different ports never share state. The lock is an
flock held for the supervisor's lifetime: the kernel drops it when the process dies, so a
stale pid file can never block the next `up`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from pathlib import Path
from typing import IO, Final

from polyregion.errors import SandboxError
from polyregion.sandbox.process import pid_alive
from polyregion.topology.model import Topology

ENV_RUN_DIR: Final = "POLYREGION_RUN_DIR"


def base_dir() -> Path:
    if env := os.environ.get(ENV_RUN_DIR):
        return Path(env)
    return Path.home() / ".polyregion" / "run"


class RunDir:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock: IO[str] | None = None

    @classmethod
    def for_topology(cls, topology: Topology) -> RunDir:
        return cls(base_dir() / f"sandbox-{topology.sandbox.control_port}")

    @property
    def pid_file(self) -> Path:
        return self.path / "supervisor.pid"

    @property
    def children_file(self) -> Path:
        return self.path / "children.json"

    @property
    def log_file(self) -> Path:
        """Where a detached sandbox writes its output."""
        return self.path / "sandbox.log"

    @property
    def logs(self) -> Path:
        return self.path / "logs"

    def running_pid(self) -> int | None:
        """The pid of the supervisor holding this run dir, or None."""
        if not self._locked_by_other():
            return None
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return -1  # locked, pid not written yet: a supervisor is starting
        return pid if pid_alive(pid) else -1

    def acquire(self, control_url: str) -> None:
        """Take the lock for this process, or say clearly who holds it."""
        self.path.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(exist_ok=True)
        handle = (self.path / "lock").open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            pid = self.running_pid()
            who = f" (pid {pid})" if pid and pid > 0 else ""
            raise SandboxError(
                f"a sandbox is already running{who} with control API {control_url}; "
                "use it, or stop it with `polyregion down`"
            ) from None
        self._lock = handle
        self.pid_file.write_text(f"{os.getpid()}\n")

    def release(self, *, forget_children: bool = True) -> None:
        """Drop the lock; `forget_children=False` keeps another run's record for `down`."""
        with contextlib.suppress(OSError):
            self.pid_file.unlink()
        if forget_children:
            with contextlib.suppress(OSError):
                self.children_file.unlink()
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def record_children(self, pgids: dict[str, int]) -> None:
        tmp = self.children_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(pgids))
        tmp.replace(self.children_file)

    def recorded_children(self) -> dict[str, int]:
        try:
            data = json.loads(self.children_file.read_text())
        except (OSError, ValueError):
            return {}
        return {str(k): int(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _locked_by_other(self) -> bool:
        lock = self.path / "lock"
        if not lock.exists():
            return False
        with lock.open("a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False
