from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from polyregion.cost.prices import REQUIRED_PRICES, STATUSES, load_prices
from polyregion.errors import ConfigError


def test_packaged_book_has_every_price_with_source_date_and_status() -> None:
    book = load_prices()
    assert set(REQUIRED_PRICES) <= set(book.prices)
    for price in book.prices.values():
        assert price.source.startswith("https://"), price.key
        assert dt.date.fromisoformat(price.checked) <= dt.date(2026, 12, 31), price.key
        assert price.status in STATUSES, price.key
        assert isinstance(price.usd, Decimal) and price.usd > 0, price.key
    # Exact decimals, not floats: the per-GB-s rate survives as written.
    assert book["lambda.gb_second_arm"].usd == Decimal("0.0000133334")
    assert book["dynamodb.read_request_units"].rate("eu-west-1") == Decimal("0.1415")
    assert book["dynamodb.read_request_units"].rate("us-west-2") == Decimal("0.125")


def test_describe_reads_like_the_pricing_page() -> None:
    book = load_prices()
    assert book["lambda.requests"].describe() == "$0.2 per 1M requests"
    assert book["route53.latency_queries"].describe() == "$0.6 per 1M latency queries"
    assert book["s3.storage"].describe("ap-southeast-1") == "$0.025 per GB-month"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prices.toml"
    path.write_text(text)
    return path


def test_override_replaces_only_the_fields_it_names(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'version = "mine"\n[prices."cloudfront.data_out"]\nusd = 0.06\n'
        '[prices."s3.storage".regional]\n"eu-west-1" = 0.024\n',
    )
    book = load_prices(path)
    assert book.version == "mine" and book.source == str(path)
    assert book["cloudfront.data_out"].usd == Decimal("0.06")
    assert book["cloudfront.data_out"].source == "https://aws.amazon.com/cloudfront/pricing/"
    # regional entries merge: the packaged ap-southeast-1 figure stays
    assert book["s3.storage"].rate("eu-west-1") == Decimal("0.024")
    assert book["s3.storage"].rate("ap-southeast-1") == Decimal("0.025")


@pytest.mark.parametrize(
    ("text", "key", "hint"),
    [
        ('[prices."lambda.request"]\nusd = 1\n', "prices.lambda.request", "unknown"),
        ('[prices."lambda.requests"]\nusd = "cheap"\n', "prices.lambda.requests.usd", "number"),
        ('[prices."lambda.requests"]\nusd = -1\n', "prices.lambda.requests.usd", ">= 0"),
        ('[prices."lambda.requests"]\nper = 0\n', "prices.lambda.requests.per", "positive"),
        ('[prices."lambda.requests"]\nprice = 1\n', "prices.lambda.requests.price", "known"),
        ('[prices."lambda.requests"]\nchecked = "yesterday"\n', "checked", "date"),
        ('[prices."lambda.requests"]\nsource = "aws"\n', "prices.lambda.requests.source", "https"),
        ('[prices."lambda.requests"]\nstatus = "sure"\n', "status", "verified"),
        ('[prices."s3.rtc".regional]\n"eu-west-1" = "x"\n', "prices.s3.rtc.regional.eu-west-1", ""),
        ("[assumptions.hours_per_month]\nvalue = 0\n", "assumptions.hours_per_month.value", ""),
        ('currency = "EUR"\n', "currency", "USD"),
        ("[discounts]\nx = 1\n", "discounts", "unknown section"),
        ("prices = [", "--prices", "not valid TOML"),
    ],
)
def test_bad_override_names_the_key(tmp_path: Path, text: str, key: str, hint: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_prices(write(tmp_path, text))
    assert key in str(err.value)
    assert hint in str(err.value)


def test_missing_override_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"--prices .* no such file"):
        load_prices(tmp_path / "nope.toml")


def test_docs_price_table_matches_the_packaged_book() -> None:
    """docs/cost.md lists every price with the status, date and source of prices.toml."""
    import re

    docs = Path(__file__).resolve().parents[2] / "docs" / "cost.md"
    text = docs.read_text(encoding="utf-8")
    for p in load_prices().prices.values():
        row = re.search(rf"\| `{re.escape(p.key)}` \| [^|]+ \| (\w+) \| ([\d-]+) \| (\S+) \|", text)
        assert row, f"docs/cost.md lists no price {p.key}"
        assert row.groups() == (p.status, p.checked, p.source), p.key
