"""Invariants over random traffic profiles and region counts (hypothesis)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from polyregion.cost import scenario as sc
from polyregion.cost.model import estimate
from polyregion.cost.prices import load_prices
from polyregion.topology import from_dict
from polyregion.topology.model import Traffic

BOOK = load_prices()
BASE = sc.from_topology(from_dict({}))
amount = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)

traffic = st.builds(
    Traffic,
    visits_per_month=st.integers(0, 10**8),
    requests_per_visit=st.floats(0, 100),
    reads_per_request=st.floats(0, 50),
    writes_per_request=st.floats(0, 10),
    item_size_kb=st.floats(0, 400),
    ssr_duration_ms=st.floats(0, 15_000),
    ssr_memory_mb=st.integers(128, 10_240),
    bytes_per_response=st.integers(0, 10**7),
    cache_hit_ratio=st.floats(0, 1),
    stored_gb=amount,
    new_objects_per_month=st.integers(0, 10**7),
    object_size_kb=amount,
    table_gb=amount,
    gsi_writes_per_write=st.floats(0, 5),
    stream_reads_per_month=st.integers(0, 10**8),
)


@settings(max_examples=60, deadline=None)
@given(traffic=traffic, regions=st.integers(1, 5))
def test_estimates_add_up_and_scale_with_regions(traffic: Traffic, regions: int) -> None:
    base = sc.with_regions(dataclasses.replace(BASE, traffic=traffic), regions)
    single = estimate(sc.single(base), BOOK)
    multi = estimate(base, BOOK)
    for e in (single, multi):
        assert all(i.usd >= 0 for i in e.items)
        assert e.total_usd == sum(i.usd for i in e.items)
    # one distribution whatever the number of regions
    for name in ("CloudFront requests", "CloudFront data out"):
        assert multi.item(name).usd == single.item(name).usd
    # every region applies every write (the default topology has global data)
    applied = (
        multi.item("DynamoDB writes").quantity + multi.item("DynamoDB replicated writes").quantity
    )
    assert abs(applied - regions * single.item("DynamoDB writes").quantity) <= abs(
        applied
    ) * Decimal("1e-20")
    # one region is the single scenario
    if regions == 1:
        assert multi.total_usd == single.total_usd
