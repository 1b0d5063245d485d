"""Serve an ASGI app with uvicorn inside the supervisor's own event loop.

uvicorn's `Server.serve()` takes over SIGINT/SIGTERM; the supervisor owns those signals (it must
stop every child first), so this subclass leaves them alone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Generator
from typing import Any

import uvicorn

from polyregion.errors import SandboxError


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class BackgroundServer:
    """start() returns once the socket listens; stop() shuts it down gracefully."""

    def __init__(self, app: Any, host: str, port: int, *, name: str) -> None:
        self.name = name
        self.host = host
        self.port = port
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            server_header=False,
        )
        self.server = _QuietServer(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self, timeout_s: float = 5.0) -> None:
        self._task = asyncio.create_task(self.server.serve())
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not self.server.started:
            if self._task.done():
                exc = self._task.exception()
                raise SandboxError(
                    f"{self.name} could not listen on {self.host}:{self.port}: {exc}"
                )
            if asyncio.get_running_loop().time() > deadline:
                raise SandboxError(f"{self.name} did not start on {self.host}:{self.port}")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._task is None:
            return
        self.server.should_exit = True
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError, SystemExit):
            await asyncio.wait_for(self._task, timeout=3.0)
        self._task = None
