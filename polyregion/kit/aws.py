"""boto3 clients for any region of the app, from the contract's environment.

Locally each region has its own endpoint (`POLYREGION_AWS_ENDPOINTS`); on AWS there is none and
boto3 uses that region's real regional endpoint, so a cross-region read is the same call in
both places. Clients are built lazily (building one loads service models: hundreds of ms of
CPU, never on an event loop) and shared: boto3 clients are thread-safe.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from polyregion.data.clients import ClientConfig, RegionClients
from polyregion.kit.env import AppEnv

# (region, endpoint or None for real AWS, config) -> clients; injectable (tests share clients)
ClientFactory = Callable[[str, str | None, ClientConfig], RegionClients]

# Health checks fail fast: one attempt, socket timeouts no longer than the check's bound.
HEALTH_CLIENT_CONFIG = ClientConfig(connect_timeout_s=1.0, read_timeout_s=1.0, max_attempts=1)
# Cross-region reads fail fast too: a healthy remote region answers in tens of ms.
REMOTE_CLIENT_CONFIG = ClientConfig(
    connect_timeout_s=0.3, read_timeout_s=0.5, max_attempts=1, max_pool_connections=16
)


def default_clients(region: str, endpoint: str | None, config: ClientConfig) -> RegionClients:
    return RegionClients(region=region, endpoint=endpoint, config=config)


class ClientPool:
    """One `RegionClients` per region for one `ClientConfig` (requests, health, remote)."""

    def __init__(
        self,
        env: AppEnv,
        config: ClientConfig | None = None,
        factory: ClientFactory = default_clients,
    ) -> None:
        self.env = env
        self.config = config or ClientConfig()
        self.factory = factory
        self._clients: dict[str, RegionClients] = {}
        self._lock = threading.Lock()

    def __call__(self, region: str | None = None) -> RegionClients:
        """Clients for `region` (default: the region this process serves)."""
        name = region or self.env.region
        clients = self._clients.get(name)
        if clients is None:
            with self._lock:
                clients = self._clients.get(name)
                if clients is None:
                    clients = self.factory(name, self.env.endpoint(name), self.config)
                    self._clients[name] = clients
        return clients
