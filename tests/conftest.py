from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.moto import FAKE_CREDENTIALS, moto_server

# Never let a test reach real AWS by accident: dummy credentials unless the opt-in AWS tier runs.
if os.environ.get("POLYREGION_AWS_TESTS") != "1":
    os.environ.update(FAKE_CREDENTIALS)
    os.environ.pop("AWS_PROFILE", None)


# Areas whose session fixtures are costly (CDK synths; a moto process per region) run on one
# xdist worker, so each is built once; every other module is a group of its own, so a
# module-scoped sandbox is started once (`make test` runs `pytest -n ... --dist loadgroup`).
SHARED_SESSION_AREAS = ("tests/infra/", "tests/replication/")


def _xdist_group(item: pytest.Item) -> str:
    path = item.path.relative_to(item.config.rootpath).as_posix()
    return next((area for area in SHARED_SESSION_AREAS if path.startswith(area)), path)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.xdist_group(_xdist_group(item)))
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
