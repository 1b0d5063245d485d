"""Every line item against a case small enough to compute by hand (see the comments).

The case: 1,000 visits x 10 requests, half served from cache -> 5,000 origin requests;
2 reads and 0.5 writes per origin request of 3 KB items (0.5 RRU per read, 3 WRU per write);
100 ms SSR at 2048 MB; 1 MiB responses; 10 GB in S3, 1,000 new 1 MiB objects; a 2 GB table;
1 GSI update per write; 100,000 stream reads per region. Regions us-east-1 (+ us-west-2).
Health: 3 checker regions x 2 checkers, every 30 s, in a 720-hour month (2,592,000 s):
6 x 2,592,000 / 30 = 518,400 probes per region, 10 ms each.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from polyregion.cost import scenario as sc
from polyregion.cost.model import Estimate, LineItem, cents, estimate
from polyregion.cost.prices import PriceBook
from polyregion.topology import from_dict
from tests.cost.conftest import HAND_REGIONS, assert_usd

HAND_TRAFFIC = {
    "visits_per_month": 1000,
    "requests_per_visit": 10,
    "reads_per_request": 2,
    "writes_per_request": 0.5,
    "item_size_kb": 3,
    "ssr_duration_ms": 100,
    "ssr_memory_mb": 2048,
    "bytes_per_response": 1_048_576,
    "cache_hit_ratio": 0.5,
    "stored_gb": 10,
    "new_objects_per_month": 1000,
    "object_size_kb": 1024,
    "table_gb": 2,
    "gsi_writes_per_write": 1,
    "stream_reads_per_month": 100_000,
}


def hand_topology(**sections: object) -> dict[str, object]:
    raw: dict[str, object] = {
        "regions": [{"name": HAND_REGIONS[0], "role": "primary"}, {"name": HAND_REGIONS[1]}],
        "health": {"interval_s": 30, "checker_regions": ["us-east-1", "us-west-2", "eu-west-1"]},
        "dns": {"origin_ttl_s": 60},
        "session": {"secret_cache_s": 300},
        "traffic": HAND_TRAFFIC,
    }
    raw.update(sections)
    return raw


def priced(book: PriceBook, *, single: bool = False, **sections: object) -> Estimate:
    scenario = sc.from_topology(from_dict(hand_topology(**sections)))
    return estimate(sc.single(scenario) if single else scenario, book)


@pytest.fixture(scope="module")
def one(round_prices: PriceBook) -> Estimate:
    return priced(round_prices, single=True)


@pytest.fixture(scope="module")
def two(round_prices: PriceBook) -> Estimate:
    return priced(round_prices)


# -- single region: no probes, no replication -------------------------------------------------
@pytest.mark.parametrize(
    ("name", "usd"),
    [
        ("Lambda requests", "0.001"),  # 5,000 x 0.20 / 1M
        ("Lambda compute (Arm)", "0.01"),  # 5,000 x 0.1 s x 2 GB = 1,000 GB-s x 0.00001
        ("DynamoDB reads", "0.00125"),  # 10,000 reads x 0.5 RRU = 5,000 x 0.25 / 1M
        ("DynamoDB writes", "0.009375"),  # 2,500 x 3 WRU = 7,500 x 1.25 / 1M (plain WRU)
        ("DynamoDB replicated writes", "0"),
        ("DynamoDB GSI writes", "0.009375"),  # 2,500 x 1 x 3 = 7,500 WRU x 1.25 / 1M
        ("DynamoDB storage", "0.5"),  # 2 GB x 0.25
        ("DynamoDB Streams reads", "0.02"),  # 100,000 x 0.02 / 100,000
        ("CloudFront requests", "0.01"),  # 10,000 x 0.01 / 10,000
        ("CloudFront data out", "0.830078125"),  # 10,000 MiB = 9.765625 GB x 0.085
        ("S3 storage", "0.23"),  # 10 GB x 0.023
        ("S3 uploads", "0.005"),  # 1,000 x 0.005 / 1,000
        ("S3 replication PUTs", "0"),
        ("S3 Replication Time Control", "0"),
        ("Inter-region transfer (S3 CRR)", "0"),
        ("Inter-region transfer (DynamoDB)", "0"),
        ("Route 53 hosted zone", "0.5"),
        ("Route 53 latency queries", "0"),  # no latency records with one region
        ("Route 53 health checks", "0"),
        ("Secrets Manager secret", "0.8"),  # session + origin-verify
        ("Secrets Manager replicas", "0"),  # us-east-1 is the primary: no edge replica
        # 1 warm environment x 2,592,000 s / 300 s = 8,640 > 5,000 invocations -> 5,000 calls
        # per secret, 2 secrets: 10,000 x 0.05 / 10,000
        ("Secrets Manager API calls", "0.05"),
        ("API Gateway HTTP API requests", "0.005"),  # 5,000 x 1.00 / 1M
        # 5,000 x 1 KiB = 5,000 / 1,048,576 GB x 0.50
        ("CloudWatch Logs ingestion", str(Decimal(2500) / Decimal(1_048_576))),
    ],
)
def test_single_region_line_item(one: Estimate, name: str, usd: str) -> None:
    assert_usd(one.item(name), usd)


# -- two regions ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "usd"),
    [
        # per region 2,500 + 518,400 probes = 520,900; x2 = 1,041,800 x 0.20 / 1M
        ("Lambda requests", "0.20836"),
        # per region (2,500 x 0.1 + 518,400 x 0.01) x 2 GB = 10,868 GB-s; x2 x 0.00001
        ("Lambda compute (Arm)", "0.21736"),
        ("DynamoDB reads", "0.00125"),  # same 5,000 RRU, split across regions
        # local writes: 1,250 x 3 = 3,750 rWRU per region; 7,500 x 1.875 / 1M
        ("DynamoDB writes", "0.0140625"),
        # each region applies the other's 1,250 writes: 7,500 rWRU x 1.875 / 1M
        ("DynamoDB replicated writes", "0.0140625"),
        # every region maintains its GSI for all 2,500 writes: 15,000 WRU x 1.25 / 1M
        ("DynamoDB GSI writes", "0.01875"),
        ("DynamoDB storage", "1.0"),  # 2 replicas x 2 GB x 0.25
        ("DynamoDB Streams reads", "0.04"),  # 100,000 per region
        ("CloudFront requests", "0.01"),  # one distribution: unchanged
        ("CloudFront data out", "0.830078125"),
        ("S3 storage", "0.46"),  # 2 buckets x 10 GB x 0.023
        ("S3 uploads", "0.005"),  # 500 per region
        ("S3 replication PUTs", "0.005"),  # 500 replicas received per region
        # 500 x 1 MiB leave each region: 2 x 500/1024 GB = 0.9765625 GB x 0.015
        ("S3 Replication Time Control", "0.0146484375"),
        ("Inter-region transfer (S3 CRR)", "0.01953125"),  # 0.9765625 GB x 0.02
        # 2,500 writes x 3 KB = 7,500 KB = 7,500/1,048,576 GB x 0.02 = 150/1,048,576
        ("Inter-region transfer (DynamoDB)", str(Decimal(150) / Decimal(1_048_576))),
        ("Route 53 hosted zone", "0.5"),
        # min(5,000 origin requests, 1 resolver x 2,592,000 / 60 s = 43,200) x 0.60 / 1M
        ("Route 53 latency queries", "0.003"),
        ("Route 53 health checks", "5.5"),  # 2 x (0.75 + HTTPS 2.00)
        ("Secrets Manager secret", "0.8"),
        ("Secrets Manager replicas", "0.8"),  # session and origin-verify in us-west-2
        # 520,900 invocations > 8,640 cache refreshes per region and secret:
        # 2 secrets x 17,280 x 0.05 / 10,000
        ("Secrets Manager API calls", "0.1728"),
        ("API Gateway HTTP API requests", "1.0418"),  # 1,041,800 x 1.00 / 1M
        # 1,041,800 x 1 KiB = 1,041,800 / 1,048,576 GB x 0.50
        ("CloudWatch Logs ingestion", str(Decimal(520_900) / Decimal(1_048_576))),
    ],
)
def test_two_region_line_item(two: Estimate, name: str, usd: str) -> None:
    assert_usd(two.item(name), usd)


def test_both_estimates_list_the_same_items_in_the_same_order(one: Estimate, two: Estimate) -> None:
    assert [i.name for i in one.items] == [i.name for i in two.items]
    assert len(one.items) == 24


def test_fast_interval_triples_probes_and_adds_a_surcharge(round_prices: PriceBook) -> None:
    fast = priced(
        round_prices,
        health={"interval_s": 10, "checker_regions": ["us-east-1", "us-west-2", "eu-west-1"]},
    )
    # 2 x (0.75 + HTTPS 2.00 + fast interval 2.00)
    assert_usd(fast.item("Route 53 health checks"), "9.5")
    # probes: 6 x 2,592,000 / 10 = 1,555,200 per region; (2,500 + 1,555,200) x 2 x 0.2 / 1M
    assert_usd(fast.item("Lambda requests"), "0.6230800")


def test_rtc_off_removes_only_the_rtc_fee(round_prices: PriceBook) -> None:
    off = priced(round_prices, buckets=[{"name": "assets", "replication_time_control": False}])
    assert off.item("S3 Replication Time Control").exact_usd == 0
    assert_usd(off.item("Inter-region transfer (S3 CRR)"), "0.01953125")


def test_regional_only_data_is_neither_replicated_nor_billed_as_rwru(
    round_prices: PriceBook,
) -> None:
    audit = {"name": "audit-log", "scope": "regional", "partition_key": "pk"}
    est = priced(round_prices, tables=[audit])
    assert est.item("DynamoDB replicated writes").exact_usd == 0
    assert est.item("Inter-region transfer (DynamoDB)").exact_usd == 0
    assert_usd(est.item("DynamoDB writes"), "0.009375")  # 7,500 plain WRU x 1.25 / 1M
    assert_usd(est.item("DynamoDB GSI writes"), "0.009375")  # each region: its own writes
    assert_usd(est.item("DynamoDB storage"), "0.5")  # the 2 GB are split, not copied


def test_no_secret_cache_means_one_call_per_invocation(round_prices: PriceBook) -> None:
    est = priced(round_prices, single=True, session={"secret_cache_s": 0})
    # 5,000 calls per secret, 2 secrets: 10,000 x 0.05 / 10,000
    assert_usd(est.item("Secrets Manager API calls"), "0.05")


def test_latency_queries_are_capped_by_resolvers_and_ttl(round_prices: PriceBook) -> None:
    busy = priced(round_prices, traffic={**HAND_TRAFFIC, "visits_per_month": 1_000_000})
    # 5M origin requests, but 1 resolver x 2,592,000 / 60 = 43,200 queries x 0.60 / 1M
    assert_usd(busy.item("Route 53 latency queries"), "0.02592")


def test_items_round_half_up_to_cents_and_totals_add_rounded_items(two: Estimate) -> None:
    assert cents(Decimal("0.005")) == Decimal("0.01")
    assert cents(Decimal("0.0049")) == Decimal("0.00")
    assert two.item("CloudFront data out").usd == Decimal("0.83")
    assert two.total_usd == sum(i.usd for i in two.items)


def test_every_item_explains_itself(two: Estimate) -> None:
    item: LineItem = two.item("DynamoDB replicated writes")
    assert "us-west-2: 3,750 x $1.875 per 1M replicated write request units" in item.detail
    assert item.formula
    assert two.item("Route 53 health checks").quantity == 2


def test_the_origin_verify_secret_gets_an_edge_replica_outside_us_east_1(
    round_prices: PriceBook,
) -> None:
    """The edge stack (us-east-1) resolves the origin-verify value from its own replica."""
    est = priced(
        round_prices,
        regions=[{"name": "eu-west-1", "role": "primary"}, {"name": "us-west-2"}],
    )
    regions = sorted(str(t.region) for t in est.item("Secrets Manager replicas").terms)
    assert regions == ["us-east-1", "us-west-2", "us-west-2"]
