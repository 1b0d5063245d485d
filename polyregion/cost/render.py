"""Printing a comparison: the side-by-side table, and with `--explain` every formula and price."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from polyregion.cost.compare import Comparison
from polyregion.cost.scenario import Scenario


def money(d: Decimal) -> str:
    sign = "-" if d < 0 else ""
    return f"{sign}${abs(d):,.2f}"


def signed(d: Decimal) -> str:
    return ("+" if d > 0 else "") + money(d) if d else "$0.00"


def table(c: Comparison) -> Table:
    n = len(c.multi.regions)
    t = Table(
        title=f"Monthly cost (USD): {c.single.regions[0]} alone vs {n} regions",
        caption=f"prices {c.prices.version} ({c.prices.source}); free tiers not applied",
    )
    t.add_column("line item", no_wrap=True)
    t.add_column("single", justify="right", no_wrap=True)
    t.add_column(f"multi ({n})", justify="right", no_wrap=True)
    t.add_column("delta", justify="right", no_wrap=True)
    previous = None
    for single, multi in zip(c.single.items, c.multi.items, strict=True):
        if previous is not None and single.service != previous:
            t.add_section()  # one block per service, like the article's rows
        previous = single.service
        t.add_row(single.name, money(single.usd), money(multi.usd), signed(multi.usd - single.usd))
    t.add_section()
    t.add_row(
        "[bold]total[/]",
        f"[bold]{money(c.single.total_usd)}[/]",
        f"[bold]{money(c.multi.total_usd)}[/]",
        f"[bold]{signed(c.delta_usd)}[/]",
    )
    return t


def summary(c: Comparison) -> list[str]:
    lines = [f"multi-region regions: {', '.join(c.multi.regions)}"]
    if c.ratio is not None:
        pct = (c.ratio - 1) * 100
        lines.append(f"ratio multi/single: {c.ratio:.2f}x ({pct:+.1f}%)")
    marginal = c.marginal_region_usd
    if marginal is not None:
        lines.append(
            f"one more region ({c.next_region}): {signed(marginal)}/month "
            f"(total {money(c.multi.total_usd + marginal)})"
        )
    return lines


def explain(c: Comparison, scenario: Scenario) -> list[str]:
    """Every line item's formula and arithmetic, then every price and assumption used."""
    t = scenario.traffic
    out = [
        "Traffic profile: " + ", ".join(f"{k} = {getattr(t, k)}" for k in t.__dataclass_fields__),
        f"Health checks: interval {scenario.health.interval_s} s, checker regions "
        f"{', '.join(scenario.health.checker_regions)}; S3 RTC "
        f"{'on' if scenario.buckets.replication_time_control else 'off'}; "
        f"origin TTL {scenario.dns.origin_ttl_s} s; "
        f"secret cache {scenario.session.secret_cache_s} s",
        "",
    ]
    for single, multi in zip(c.single.items, c.multi.items, strict=True):
        out += [
            f"{single.service} / {single.name}: {single.formula}",
            f"    single {money(single.usd)}: {single.detail}",
            f"    multi  {money(multi.usd)}: {multi.detail}",
        ]
    out += ["", f"Prices ({c.prices.source}, version {c.prices.version}):"]
    for p in c.prices.prices.values():
        regional = (
            " (" + ", ".join(f"{r} ${v}" for r, v in p.regional.items()) + ")" if p.regional else ""
        )
        out.append(
            f"  {p.key}: {p.describe()}{regional} [{p.status}, checked {p.checked}] {p.source}"
            + (f" - {p.note}" if p.note else "")
        )
    out.append("Assumptions:")
    for a in c.prices.assumptions.values():
        out.append(f"  {a.key} = {a.value} {a.unit} [{a.status}] {a.source} - {a.note}")
    return out


def render(c: Comparison, scenario: Scenario, console: Console, *, show_explain: bool) -> None:
    console.print(table(c))
    for line in summary(c):
        console.print(escape(line), highlight=False)
    if show_explain:
        console.print()
        for line in explain(c, scenario):
            console.print(escape(line), highlight=False, soft_wrap=True)
