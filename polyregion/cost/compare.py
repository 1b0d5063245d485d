"""Single region vs the topology, side by side: the article's table, computed.

`compare()` is the one entry point the CLI (and anyone scripting) needs; `to_json()` is the
documented `--json` shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from polyregion.cost import scenario as sc
from polyregion.cost.model import Estimate, LineItem, estimate
from polyregion.cost.prices import PriceBook


@dataclass(frozen=True, slots=True)
class Comparison:
    single: Estimate
    multi: Estimate
    next_region: str | None  # the region `marginal` adds
    marginal: Estimate | None  # the multi scenario with one more region
    prices: PriceBook

    @property
    def delta_usd(self) -> Decimal:
        return self.multi.total_usd - self.single.total_usd

    @property
    def ratio(self) -> Decimal | None:
        if not self.single.total_usd:
            return None
        return (self.multi.total_usd / self.single.total_usd).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP
        )

    @property
    def marginal_region_usd(self) -> Decimal | None:
        if self.marginal is None:
            return None
        return self.marginal.total_usd - self.multi.total_usd


def compare(scenario: sc.Scenario, prices: PriceBook) -> Comparison:
    """Price the primary alone, the scenario, and the scenario plus the next candidate region."""
    nxt = sc.next_region(scenario)
    grown = sc.with_regions(scenario, scenario.count + 1) if nxt is not None else None
    return Comparison(
        single=estimate(sc.single(scenario), prices),
        multi=estimate(scenario, prices),
        next_region=nxt,
        marginal=estimate(grown, prices) if grown is not None else None,
        prices=prices,
    )


def _money(d: Decimal) -> float:
    return float(d)  # already rounded to cents: the float prints as 12.34


def _item_json(item: LineItem) -> dict[str, Any]:
    return {
        "name": item.name,
        "service": item.service,
        "usd": _money(item.usd),
        "quantity": float(item.quantity),
        "unit": item.unit,
        "formula": item.formula,
        "detail": item.detail,
    }


def _estimate_json(e: Estimate) -> dict[str, Any]:
    return {
        "regions": list(e.regions),
        "total_usd": _money(e.total_usd),
        "items": [_item_json(i) for i in e.items],
    }


def to_json(c: Comparison) -> dict[str, Any]:
    """The `--json` document; docs/cost.md documents every key."""
    marginal = c.marginal_region_usd
    return {
        "single": _estimate_json(c.single),
        "multi": _estimate_json(c.multi),
        "delta_usd": _money(c.delta_usd),
        "ratio": None if c.ratio is None else float(c.ratio),
        "marginal_region_usd": None if marginal is None else _money(marginal),
        "marginal_region": c.next_region,
        "prices": {"version": c.prices.version, "source": c.prices.source},
    }
