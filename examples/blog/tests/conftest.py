"""Fixtures for the app's tests: a provisioned two-region system on the session's moto server,
an app factory per region, and endpoints that hang or refuse (dependency faults)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from blog.asgi import create_app
from blog.settings import AppSettings

from polyregion.data.clients import ClientConfig, RegionClients, clients_for
from polyregion.data.provision import provision_region
from polyregion.topology import Topology, from_dict
from tests.conftest import moto_url  # noqa: F401 (the shared moto server; no real AWS)
from tests.support.silent import silent_server

PASSWORD = "correct-horse"
SECRET = "test-session-secret-that-is-long-enough-for-hs256"
A, B = "us-east-1", "eu-west-1"


@pytest.fixture(scope="session")
def topo() -> Topology:
    # The app's own name: its tables, buckets and secret are apart from other areas' tests.
    return from_dict({"app": {"name": "t-app"}})


@pytest.fixture(scope="session")
def system(moto_url: str, topo: Topology) -> dict[str, RegionClients]:
    """Both regions provisioned in moto (isolated from each other: the tests replicate)."""
    clients = {}
    for region in topo.region_names:
        clients[region] = clients_for(region, {region: moto_url})
        provision_region(topo, region, clients[region], secret_value=SECRET)
    return clients


@contextmanager
def running(app: Any) -> Iterator[str]:
    """Serve `app` with a real uvicorn on a free loopback port (in a thread); yield its URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


AppFactory = Callable[..., str]


@pytest.fixture(scope="module")
def make_app(
    moto_url: str, topo: Topology, system: dict[str, RegionClients]
) -> Iterator[AppFactory]:
    """`make_app(region, clock=..., **settings)` -> URL of a fresh app for that region on a
    real server (`clock` drives the sign-in throttle).

    Every app listens on 127.0.0.1 (another port): one httpx client carries its cookies to
    every region, like a browser that Route 53 moves from one region to another."""
    servers: list[Any] = []
    shared: dict[tuple[str, str | None, ClientConfig], RegionClients] = {}
    lock = threading.Lock()

    def clients(region: str, endpoint: str | None, config: ClientConfig) -> RegionClients:
        # boto3 clients are costly to build and thread-safe to share: one set per endpoint.
        with lock:
            key = (region, endpoint, config)
            if key not in shared:
                shared[key] = RegionClients(region=region, endpoint=endpoint, config=config)
            return shared[key]

    def make(region: str = A, *, topology: Topology | None = None, **overrides: Any) -> str:
        values: dict[str, Any] = {
            "endpoints": dict.fromkeys(topo.region_names, moto_url),
            "secure_cookies": False,
            "ryw_wait_ms": 300,
            "ryw_poll_ms": 20,
            "password_scrypt_n": 2**8,
            # Every test signs in from 127.0.0.1 against one shared moto: the throttle's
            # address rules would trip across tests. test_throttle sets its own limits.
            "signin_address_limit": 100_000,
            "signup_address_limit": 100_000,
        }
        clock = overrides.pop("clock", time.time)
        values.update(overrides)
        app = create_app(
            AppSettings(topology=topology or topo, region=region, **values),
            clients=clients,
            clock=clock,
        )
        cm = running(app)
        url = cm.__enter__()
        servers.append(cm)
        return url

    yield make
    for cm in reversed(servers):
        cm.__exit__(None, None, None)


@pytest.fixture
def hanging_endpoint() -> Iterator[str]:
    """A loopback server that accepts connections and never answers."""
    with silent_server() as server:
        yield server.url


class FaultyProxy:
    """A loopback TCP proxy in front of moto whose `mode` the test flips: "pass" forwards,
    "hang" accepts and never answers, "drop" closes each connection at once. `accepted`
    counts connections (each SDK attempt on a fresh connection is one)."""

    def __init__(self, upstream: str) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.mode = "pass"
        self.accepted = 0
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(128)
        self.server.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self._stop = threading.Event()
        self._open: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            self._open.append(conn)
            self.accepted += 1
            if self.mode == "drop":
                conn.close()
            elif self.mode == "pass":
                up = socket.create_connection(self.upstream)
                self._open.append(up)
                for a, b in ((conn, up), (up, conn)):
                    threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def set(self, mode: str) -> None:
        """Switch mode; established connections are cut so pooled ones cannot bypass it."""
        self.mode = mode
        opened, self._open = self._open, []
        for conn in opened:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.set("drop")
        self.server.close()


@pytest.fixture
def faulty_moto(moto_url: str) -> Iterator[FaultyProxy]:
    proxy = FaultyProxy(moto_url)
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture
def refusing_endpoint() -> str:
    """A loopback port nobody listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def signup(client: httpx.Client, url: str, username: str, password: str = PASSWORD) -> str:
    """Sign up through the JSON API; returns the CSRF token (cookies stay in the client)."""
    r = client.post(f"{url}/api/users", json={"username": username, "password": password})
    assert r.status_code == 201, r.text
    return str(r.json()["csrf_token"])
