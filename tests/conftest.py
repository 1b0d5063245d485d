from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.moto import FAKE_CREDENTIALS, moto_server

# Never let a test reach real AWS by accident: dummy credentials unless the opt-in AWS tier runs.
if os.environ.get("POLYREGION_AWS_TESTS") != "1":
    os.environ.update(FAKE_CREDENTIALS)
    os.environ.pop("AWS_PROFILE", None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("POLYREGION_AWS_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="real AWS tier: set POLYREGION_AWS_TESTS=1")
    for item in items:
        if "aws" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """One moto server process for the whole test session (regions are isolated inside it)."""
    with moto_server() as url:
        yield url
