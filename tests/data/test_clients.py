"""`ClientConfig.max_attempts` is the number of attempts a call makes, the first included."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from botocore.exceptions import ReadTimeoutError

from polyregion.data.clients import ClientConfig, RegionClients


class Silent:
    """A loopback server that accepts connections, counts them and never answers."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.server.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                self.accepted.append(self.server.accept()[0])
            except OSError:
                continue

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for conn in self.accepted:
            conn.close()
        self.server.close()


@pytest.fixture
def silent() -> Iterator[Silent]:
    server = Silent()
    try:
        yield server
    finally:
        server.close()


@pytest.mark.parametrize("attempts", [1, 2])
def test_max_attempts_counts_every_attempt(silent: Silent, attempts: int) -> None:
    # botocore's own `max_attempts` retry key counts retries: 1 made two attempts, so a
    # one-attempt health or cross-region read waited twice its timeout.
    config = ClientConfig(connect_timeout_s=0.5, read_timeout_s=0.2, max_attempts=attempts)
    ddb = RegionClients(region="us-east-1", endpoint=silent.url, config=config).dynamodb
    with pytest.raises(ReadTimeoutError):
        ddb.list_tables()
    assert len(silent.accepted) == attempts
