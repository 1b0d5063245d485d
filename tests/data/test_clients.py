"""`ClientConfig.max_attempts` is the number of attempts a call makes, the first included."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ReadTimeoutError

from polyregion.data.clients import ClientConfig, RegionClients
from tests.support.silent import SilentServer, silent_server


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    with silent_server() as server:
        yield server


@pytest.mark.parametrize("attempts", [1, 2])
def test_max_attempts_counts_every_attempt(silent: SilentServer, attempts: int) -> None:
    # botocore's own `max_attempts` retry key counts retries: 1 made two attempts, so a
    # one-attempt health or cross-region read waited twice its timeout.
    config = ClientConfig(connect_timeout_s=0.5, read_timeout_s=0.2, max_attempts=attempts)
    ddb = RegionClients(region="us-east-1", endpoint=silent.url, config=config).dynamodb
    with pytest.raises(ReadTimeoutError):
        ddb.list_tables()
    assert len(silent.accepted) == attempts
