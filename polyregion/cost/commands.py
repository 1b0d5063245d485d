"""`polyregion cost`: what going multi-region costs, from the topology and a traffic profile."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from polyregion.options import ConfigOpt

_T = "Traffic: overrides the topology's traffic table"


def cost(
    config: ConfigOpt = None,
    regions: Annotated[
        int | None,
        typer.Option(
            "--regions",
            min=1,
            help="Explore N regions: keep the topology's first N, or add common ones "
            "(ap-southeast-1, us-west-2, ...).",
        ),
    ] = None,
    prices: Annotated[
        Path | None,
        typer.Option(
            "--prices",
            help="TOML file overriding packaged prices field by field (see docs/cost.md).",
        ),
    ] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show every formula, price source and assumption.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the comparison as JSON (shape in docs/cost.md).")
    ] = False,
    visits: Annotated[
        int | None, typer.Option("--visits", min=0, help="Visits per month.", rich_help_panel=_T)
    ] = None,
    requests_per_visit: Annotated[
        float | None,
        typer.Option(min=0, help="CloudFront requests per visit.", rich_help_panel=_T),
    ] = None,
    reads_per_request: Annotated[
        float | None,
        typer.Option(min=0, help="DynamoDB reads per origin request.", rich_help_panel=_T),
    ] = None,
    writes_per_request: Annotated[
        float | None,
        typer.Option(min=0, help="DynamoDB writes per origin request.", rich_help_panel=_T),
    ] = None,
    item_size_kb: Annotated[
        float | None, typer.Option(min=0, help="DynamoDB item size (KB).", rich_help_panel=_T)
    ] = None,
    ssr_duration_ms: Annotated[
        float | None, typer.Option(min=0, help="SSR time per origin request.", rich_help_panel=_T)
    ] = None,
    ssr_memory_mb: Annotated[
        int | None,
        typer.Option(min=128, max=10240, help="Lambda memory (MB).", rich_help_panel=_T),
    ] = None,
    bytes_per_response: Annotated[
        int | None, typer.Option(min=0, help="Average response size.", rich_help_panel=_T)
    ] = None,
    cache_hit_ratio: Annotated[
        float | None,
        typer.Option(min=0, max=1, help="Share served by CloudFront's cache.", rich_help_panel=_T),
    ] = None,
    stored_gb: Annotated[
        float | None, typer.Option(min=0, help="S3 GB per bucket.", rich_help_panel=_T)
    ] = None,
    new_objects: Annotated[
        int | None, typer.Option(min=0, help="S3 uploads per month.", rich_help_panel=_T)
    ] = None,
    object_size_kb: Annotated[
        float | None, typer.Option(min=0, help="S3 object size (KB).", rich_help_panel=_T)
    ] = None,
    table_gb: Annotated[
        float | None, typer.Option(min=0, help="DynamoDB GB per replica.", rich_help_panel=_T)
    ] = None,
    gsi_writes_per_write: Annotated[
        float | None, typer.Option(min=0, help="GSI updates per write.", rich_help_panel=_T)
    ] = None,
    stream_reads: Annotated[
        int | None,
        typer.Option(min=0, help="Your own DynamoDB Streams reads/month.", rich_help_panel=_T),
    ] = None,
) -> None:
    """Price one region vs your topology, line by line, per month.

    Shows the delta, the ratio and the marginal cost of one more region, in USD at public list
    prices without free tiers.
    """
    import json

    from rich.console import Console

    from polyregion.cost import scenario as sc
    from polyregion.cost.compare import compare, to_json
    from polyregion.cost.prices import load_prices
    from polyregion.cost.render import render
    from polyregion.topology.load import load

    topology = load(config)
    traffic = sc.with_traffic(
        topology.traffic,
        {
            "visits_per_month": visits,
            "requests_per_visit": requests_per_visit,
            "reads_per_request": reads_per_request,
            "writes_per_request": writes_per_request,
            "item_size_kb": item_size_kb,
            "ssr_duration_ms": ssr_duration_ms,
            "ssr_memory_mb": ssr_memory_mb,
            "bytes_per_response": bytes_per_response,
            "cache_hit_ratio": cache_hit_ratio,
            "stored_gb": stored_gb,
            "new_objects_per_month": new_objects,
            "object_size_kb": object_size_kb,
            "table_gb": table_gb,
            "gsi_writes_per_write": gsi_writes_per_write,
            "stream_reads_per_month": stream_reads,
        },
    )
    scenario = sc.from_topology(topology, traffic)
    if regions is not None:
        scenario = sc.with_regions(scenario, regions)
    comparison = compare(scenario, load_prices(prices))
    if as_json:
        typer.echo(json.dumps(to_json(comparison), indent=2))
        return
    render(comparison, scenario, Console(), show_explain=explain)


def register(app: typer.Typer) -> None:
    app.command("cost")(cost)
