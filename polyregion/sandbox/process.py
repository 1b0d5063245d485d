"""Child processes of the sandbox: each in its own process group, never left behind.

Every child gets a new session (so a signal reaches it and anything it forked), and on Linux
asks the kernel to SIGTERM it if the supervisor dies (PR_SET_PDEATHSIG): even a SIGKILLed
supervisor leaves nothing running. Pids are also recorded in the run directory so `down` can
clean up after a supervisor that died some other way.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Final

PR_SET_PDEATHSIG: Final = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the forked child
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Child:
    """One named child process (a region's app, a moto endpoint, an edge)."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        log_path: Path | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env) if env is not None else dict(os.environ)
        self.log_path = log_path
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        """Spawn it. Call from the main thread: PDEATHSIG fires when the *thread* that forked
        the child exits, so forking from a worker thread would kill children early."""
        if self.alive:
            return
        if self.log_path is not None:
            self._log = self.log_path.open("ab")
        out = self._log if self._log is not None else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            self.argv,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=self.cwd,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # tiny, async-signal-safe: one prctl call
        )

    def log_tail(self, lines: int = 15) -> str:
        """The last lines of its log, to show why it failed (empty if there is none)."""
        if self.log_path is None:
            return ""
        try:
            with self.log_path.open("rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 16_384))
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.proc.poll() if self.proc is not None else None

    def kill(self) -> None:
        """SIGKILL the whole group at once: the abrupt death `fault kill` simulates."""
        if self.proc is None:
            return
        signal_group(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._close_log()

    def stop(self, timeout_s: float = 3.0) -> None:
        """SIGTERM the group, then SIGKILL whatever is left after `timeout_s`."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            signal_group(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                pass
        # The group may outlive its leader (a forked worker): make sure it is gone.
        signal_group(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


def signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still "exists": treat it as gone.
    try:
        with Path(f"/proc/{pid}/stat").open() as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def stop_groups(pgids: Sequence[int], timeout_s: float = 3.0) -> None:
    """Stop process groups recorded by a supervisor that is gone (used by `down`)."""
    for pgid in pgids:
        signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and any(group_alive(p) for p in pgids):
        time.sleep(0.05)
    for pgid in pgids:
        signal_group(pgid, signal.SIGKILL)
