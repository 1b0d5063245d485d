"""The comparison: delta, ratio, marginal region, `--regions N`, and the article's claims."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from polyregion.cost import scenario as sc
from polyregion.cost.compare import compare, to_json
from polyregion.cost.model import estimate
from polyregion.cost.prices import PriceBook, load_prices
from polyregion.cost.render import money
from polyregion.errors import ConfigError
from polyregion.topology import from_dict
from tests.cost.test_model import hand_topology

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cost.md"


@pytest.fixture(scope="module")
def packaged() -> PriceBook:
    return load_prices()


def test_delta_ratio_and_marginal_region(round_prices: PriceBook) -> None:
    scenario = sc.from_topology(from_dict(hand_topology()))
    c = compare(scenario, round_prices)
    assert c.delta_usd == c.multi.total_usd - c.single.total_usd
    assert c.ratio == (c.multi.total_usd / c.single.total_usd).quantize(Decimal("0.0001"))
    # the next candidate after us-east-1, us-west-2 is eu-west-1
    assert c.next_region == "eu-west-1"
    three = estimate(sc.with_regions(scenario, 3), round_prices)
    assert three.regions == ("us-east-1", "us-west-2", "eu-west-1")
    assert c.marginal_region_usd == three.total_usd - c.multi.total_usd
    assert c.marginal_region_usd is not None and c.marginal_region_usd > 0


def test_regions_n_shrinks_and_grows_the_topology(packaged: PriceBook) -> None:
    scenario = sc.from_topology(from_dict({}))
    one = compare(sc.with_regions(scenario, 1), packaged)
    assert one.multi.total_usd == one.single.total_usd and one.ratio == 1
    four = sc.with_regions(scenario, 4)
    assert four.regions == ("us-east-1", "eu-west-1", "ap-southeast-1", "us-west-2")
    with pytest.raises(ConfigError, match="--regions"):
        sc.with_regions(scenario, 13)


def test_json_shape(packaged: PriceBook) -> None:
    doc = to_json(compare(sc.from_topology(from_dict({})), packaged))
    assert {"single", "multi", "delta_usd", "ratio", "marginal_region_usd"} <= set(doc)
    for side in ("single", "multi"):
        assert set(doc[side]) >= {"total_usd", "items"}
        assert all({"name", "usd"} <= set(i) for i in doc[side]["items"])
        assert doc[side]["total_usd"] == pytest.approx(sum(i["usd"] for i in doc[side]["items"]))
    assert doc["delta_usd"] == pytest.approx(doc["multi"]["total_usd"] - doc["single"]["total_usd"])
    assert doc["marginal_region"] == "ap-southeast-1"


def test_defaults_keep_the_articles_shape(packaged: PriceBook) -> None:
    """Where the article is right, the model agrees (docs/cost.md: line by line)."""
    c = compare(sc.from_topology(from_dict({})), packaged)
    s, m = c.single, c.multi
    # CloudFront: "the same, it is global"
    for name in ("CloudFront requests", "CloudFront data out"):
        assert s.item(name).usd == m.item(name).usd > 0
    # Lambda: "distributed traffic" costs only a little more (here: the health probes)
    lam = ("Lambda requests", "Lambda compute (Arm)")
    single_lambda = sum(s.item(n).usd for n in lam)
    multi_lambda = sum(m.item(n).usd for n in lam)
    assert single_lambda < multi_lambda < single_lambda * Decimal("1.10")
    # DynamoDB: "writes x2": every region applies every write
    w = "DynamoDB writes", "DynamoDB replicated writes"
    assert sum(m.item(n).quantity for n in w) == 2 * s.item("DynamoDB writes").quantity
    # S3 replication and Route 53 health checks: $0 alone, paid with two regions
    for name in ("S3 replication PUTs", "Inter-region transfer (S3 CRR)", "Route 53 health checks"):
        assert s.item(name).usd == 0 < m.item(name).usd


def test_docs_show_the_figures_the_model_computes(packaged: PriceBook) -> None:
    """docs/cost.md quotes the default totals: this fails when prices or defaults drift."""
    text = DOCS.read_text(encoding="utf-8")
    c = compare(sc.from_topology(from_dict({})), packaged)
    for figure in (c.single.total_usd, c.multi.total_usd, c.delta_usd):
        assert money(figure) in text, f"docs/cost.md does not show {money(figure)}"
    assert f"{c.ratio:.2f}x" in text
    marginal = c.marginal_region_usd
    assert marginal is not None and money(marginal) in text
    # and every line item of the default comparison appears with its two figures
    for single, multi in zip(c.single.items, c.multi.items, strict=True):
        money_cells = r"\| (\$[\d,.]+) \| (\$[\d,.]+) \|"
        row = re.search(rf"\| {re.escape(single.name)} {money_cells}", text)
        assert row, f"docs/cost.md has no row for {single.name}"
        assert row.group(1).strip() == money(single.usd), single.name
        assert row.group(2).strip() == money(multi.usd), single.name
