"""Check every address the sandbox will listen on before starting anything.

A port already in use must give one clear line naming the address, what wanted it and the
topology key that moves it, not a traceback from deep inside a child process.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterable

from polyregion.errors import SandboxError
from polyregion.sandbox.plan import Binding


def check_free(bindings: Iterable[Binding], *, source: str) -> None:
    for b in bindings:
        kind = socket.SOCK_DGRAM if b.udp else socket.SOCK_STREAM
        with socket.socket(socket.AF_INET, kind) as s:
            # The servers set SO_REUSEADDR too: a socket in TIME_WAIT is not "in use".
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((b.host, b.port))
            except OSError as exc:
                proto = "udp" if b.udp else "tcp"
                if exc.errno == errno.EADDRINUSE:
                    reason = "is already in use"
                elif exc.errno == errno.EADDRNOTAVAIL:
                    # Linux routes all of 127.0.0.0/8 to loopback; macOS only 127.0.0.1.
                    raise SandboxError(
                        f"{b.host} (the {b.what}) is not a local address on this machine; "
                        f"add it to the loopback interface (macOS: sudo ifconfig lo0 alias "
                        f"{b.host}) or change sandbox.loopback_prefix in {source}"
                    ) from None
                elif exc.errno in (errno.EACCES, errno.EPERM):
                    reason = "is not allowed for this user"
                else:
                    reason = f"cannot be bound ({exc.strerror})"
                raise SandboxError(
                    f"{b.host}:{b.port}/{proto} for the {b.what} {reason}; "
                    f"free it or change {b.key} in {source}"
                ) from None
