from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from polyregion.sandbox.route53.routing import Locator, Reason, RecordSet, choose
from tests.sandbox.route53.helpers import three_region_topology, zone

TOPO = three_region_topology()
LOCATOR = Locator(TOPO, sources={"127.1.2.1": "paris"})
ORIGIN = zone(TOPO).lookup("origin.example.com", "A")


def pick(location: str, unhealthy: set[str] = frozenset()) -> tuple[str | None, Reason]:  # type: ignore[assignment]
    sel = choose(
        ORIGIN,
        latency_to=lambda region: LOCATOR.latency_ms(location, region),
        is_healthy=lambda hc: hc.removeprefix("hc-") not in unhealthy,
    )
    assert sel is not None
    return sel.record.region, sel.reason


@pytest.mark.parametrize(
    ("location", "region"),
    [("new-york", "us-east-1"), ("paris", "eu-west-1"), ("singapore", "ap-southeast-1")],
)
def test_latency_picks_the_nearest_region_for_each_location(location: str, region: str) -> None:
    assert pick(location) == (region, Reason.NEAREST)


def test_unhealthy_nearest_gives_the_next_best_healthy_region() -> None:
    # From Paris: eu-west-1, then us-east-1 (closer than Singapore).
    assert pick("paris", {"eu-west-1"}) == ("us-east-1", Reason.NEXT_BEST)
    assert pick("paris", {"eu-west-1", "us-east-1"}) == ("ap-southeast-1", Reason.NEXT_BEST)


def test_all_unhealthy_fails_open_to_the_nearest() -> None:
    everything = {"us-east-1", "eu-west-1", "ap-southeast-1"}
    assert pick("singapore", everything) == ("ap-southeast-1", Reason.FAIL_OPEN)


def test_record_without_health_check_is_always_healthy() -> None:
    plain = (
        RecordSet("o.example.com", "A", 60, ("127.0.1.1",), "us", region="us-east-1"),
        RecordSet("o.example.com", "A", 60, ("127.0.2.1",), "eu", "eu-west-1", None, "hc-eu"),
    )
    sel = choose(
        plain, latency_to=lambda r: 0 if r == "eu-west-1" else 100, is_healthy=lambda _: False
    )
    assert sel is not None and sel.record.region == "us-east-1"
    assert sel.reason is Reason.NEXT_BEST


def test_failover_primary_then_secondary_then_primary_when_both_down() -> None:
    pair = (
        RecordSet(
            "f.example.com", "A", 60, ("127.0.1.1",), "p", failover="PRIMARY", health_check_id="p"
        ),
        RecordSet(
            "f.example.com", "A", 60, ("127.0.2.1",), "s", failover="SECONDARY", health_check_id="s"
        ),
    )

    def run(down: set[str]) -> tuple[str, Reason]:
        sel = choose(pair, latency_to=lambda _: 0, is_healthy=lambda hc: hc not in down)
        assert sel is not None
        return sel.record.values[0], sel.reason

    assert run(set()) == ("127.0.1.1", Reason.PRIMARY)
    assert run({"p"}) == ("127.0.2.1", Reason.SECONDARY)
    assert run({"p", "s"}) == ("127.0.1.1", Reason.FAIL_OPEN)


def test_locator_prefers_ecs_then_source_address_then_default() -> None:
    net = ipaddress.IPv4Network("203.0.113.0/24")
    assert LOCATOR.locate(net, "127.0.0.1").location == "paris"
    assert LOCATOR.locate(net, None).scope_prefix == 24
    assert LOCATOR.locate(None, "127.1.2.1").location == "paris"
    unknown = LOCATOR.locate(ipaddress.IPv4Network("192.0.2.128/25"), None)
    assert unknown.location == "singapore"  # inside the Singapore subnet
    fallback = LOCATOR.locate(ipaddress.IPv4Network("10.0.0.0/8"), "127.0.0.1")
    assert (fallback.location, fallback.via, fallback.scope_prefix) == ("new-york", "default", 0)


def test_locator_rejects_sources_mapping_to_unknown_locations() -> None:
    with pytest.raises(ValueError, match="unknown location"):
        Locator(TOPO, sources={"127.1.9.1": "atlantis"})


REGION_POOL = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1", "sa-east-1")


@given(
    latencies=st.lists(st.floats(0, 500), min_size=1, max_size=5),
    health=st.lists(st.booleans(), min_size=5, max_size=5),
    checked=st.lists(st.booleans(), min_size=5, max_size=5),
)
def test_choice_is_the_nearest_healthy_else_the_nearest(
    latencies: list[float], health: list[bool], checked: list[bool]
) -> None:
    records = tuple(
        RecordSet("o.example.com", "A", 60, (f"127.0.{i}.1",), r, region=r,
                  health_check_id=r if checked[i] else None)
        for i, r in enumerate(REGION_POOL[: len(latencies)])
    )  # fmt: skip
    ms = dict(zip(REGION_POOL, latencies, strict=False))
    up = dict(zip(REGION_POOL, health, strict=True))
    sel = choose(records, latency_to=lambda r: ms[r], is_healthy=lambda hc: up[hc])
    assert sel is not None
    healthy = [r for r in records if r.health_check_id is None or up[r.health_check_id]]
    nearest = min(records, key=lambda r: (ms[r.region or ""], r.region))
    if healthy:
        best = min(healthy, key=lambda r: (ms[r.region or ""], r.region))
        assert sel.record == best
        assert sel.reason is (Reason.NEAREST if best == nearest else Reason.NEXT_BEST)
    else:
        assert (sel.record, sel.reason) == (nearest, Reason.FAIL_OPEN)
