"""Clients per region: the sandbox's endpoint locally, real AWS (None) otherwise; shared."""

from __future__ import annotations

import threading

from polyregion.data.clients import ClientConfig, RegionClients
from polyregion.kit import AppEnv, ClientPool


def test_each_region_gets_its_endpoint_once_and_is_shared_across_threads() -> None:
    made: list[tuple[str, str | None]] = []

    def factory(region: str, endpoint: str | None, config: ClientConfig) -> RegionClients:
        made.append((region, endpoint))
        return RegionClients(region=region, endpoint=endpoint, config=config)

    env = AppEnv(region="eu-west-1", regions=("us-east-1", "eu-west-1"),
                 endpoints={"eu-west-1": "http://127.0.0.1:1"})  # fmt: skip
    pool = ClientPool(env, factory=factory)
    seen: list[RegionClients] = []
    threads = [threading.Thread(target=lambda: seen.append(pool())) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(c) for c in seen}) == 1  # one set of clients for the served region
    assert pool("us-east-1").endpoint is None  # no endpoint: that region's real AWS endpoint
    assert made == [("eu-west-1", "http://127.0.0.1:1"), ("us-east-1", None)]
