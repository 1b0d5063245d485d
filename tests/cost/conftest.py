"""A price book with round numbers so every expected figure can be checked by hand."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from polyregion.cost.model import LineItem
from polyregion.cost.prices import PriceBook, load_prices

# Every rate the model uses, overridden with round figures. rWRU (1.875) differs from WRU
# (1.25) on purpose: a test then sees which one a write is billed at.
ROUND_PRICES = """
[prices."lambda.requests"]
usd = 0.20
per = 1000000
[prices."lambda.gb_second_arm"]
usd = 0.00001
[prices."dynamodb.read_request_units"]
usd = 0.25
per = 1000000
[prices."dynamodb.write_request_units"]
usd = 1.25
per = 1000000
[prices."dynamodb.replicated_write_request_units"]
usd = 1.875
per = 1000000
[prices."dynamodb.storage"]
usd = 0.25
[prices."dynamodb.streams_read_requests"]
usd = 0.02
per = 100000
[prices."cloudfront.https_requests"]
usd = 0.01
per = 10000
[prices."cloudfront.data_out"]
usd = 0.085
[prices."s3.storage"]
usd = 0.023
[prices."s3.put_requests"]
usd = 0.005
per = 1000
[prices."s3.rtc"]
usd = 0.015
[prices."transfer.inter_region"]
usd = 0.02
[prices."route53.hosted_zone"]
usd = 0.50
[prices."route53.latency_queries"]
usd = 0.60
per = 1000000
[prices."route53.health_check"]
usd = 0.75
[prices."route53.health_check_option"]
usd = 2.00
[prices."secretsmanager.secret"]
usd = 0.40
[prices."apigateway.http_requests"]
usd = 1.00
per = 1000000
[prices."cloudwatch.logs_ingestion"]
usd = 0.50
[prices."secretsmanager.api_calls"]
usd = 0.05
per = 10000
[assumptions.hours_per_month]
value = 720
[assumptions.health_checkers_per_region]
value = 2
[assumptions.health_probe_ms]
value = 10
[assumptions.origin_resolvers]
value = 1
[assumptions.log_bytes_per_invocation]
value = 1024
"""

# The two regions of the hand-computed case: neither has a regional price in the package.
HAND_REGIONS = ("us-east-1", "us-west-2")


@pytest.fixture(scope="session")
def round_prices(tmp_path_factory: pytest.TempPathFactory) -> PriceBook:
    path: Path = tmp_path_factory.mktemp("prices") / "round.toml"
    path.write_text(ROUND_PRICES)
    book = load_prices(path)
    for price in book.prices.values():
        assert not set(HAND_REGIONS) & set(price.regional), f"{price.key} has a regional price"
    return book


def assert_usd(item: LineItem, expected: str) -> None:
    """Exact to 1e-12 dollars (Decimal division keeps 28 digits, not infinitely many)."""
    assert abs(item.exact_usd - Decimal(expected)) < Decimal("1e-12"), (
        f"{item.name}: {item.exact_usd} != {expected} ({item.detail})"
    )
