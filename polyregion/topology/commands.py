"""`polyregion config check|show`: validate and explain the topology file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from polyregion.topology.latency import latency_ms, regions_by_latency
from polyregion.topology.load import load

config_app = typer.Typer(help="Validate and show the topology file (polyregion.toml).")

FileArg = Annotated[
    Path | None,
    typer.Argument(
        help="Topology file (default: $POLYREGION_CONFIG, ./polyregion.toml or built-ins).",
        show_default=False,
    ),
]


@config_app.command("check")
def check(file: FileArg = None) -> None:
    """Validate the topology file; exit 2 naming the bad key and the fix."""
    topo = load(file)
    regions = ", ".join(f"{r.name} ({r.role})" for r in topo.regions)
    typer.echo(f"{topo.source}: valid. regions: {regions}; locations: {len(topo.locations)}")


@config_app.command("show")
def show(file: FileArg = None) -> None:
    """Print the resolved topology: regions, data, health checks and routing per location."""
    from rich.console import Console
    from rich.table import Table

    from polyregion.topology import naming

    topo = load(file)
    console = Console()
    console.print(
        f"[bold]{topo.name}[/] from {topo.source}: app {topo.app_hostname}, origin "
        f"{topo.origin_hostname}, consistency {topo.consistency}"
    )
    regions = Table("region", "role", "bucket", title="Regions")
    for r in topo.regions:
        regions.add_row(r.name, str(r.role), naming.bucket(topo, r.name))
    console.print(regions)
    data = Table("data class", "scope", "table", title="Data")
    for d in topo.data:
        table = (
            naming.global_table(topo)
            if d.scope == "global"
            else naming.regional_table(topo, d.name)
        )
        data.add_row(d.name, str(d.scope), table)
    console.print(data)
    h = topo.health
    console.print(
        f"Health check: {h.path} every {h.interval_s}s, threshold {h.failure_threshold}, "
        f"checkers {', '.join(h.checker_regions)}, dependency timeout {h.check_timeout_ms} ms"
    )
    routes = Table("location", "subnet", "nearest regions (simulated RTT)", title="Latency routing")
    for loc in topo.locations:
        order = regions_by_latency(topo, loc.name)
        routes.add_row(
            loc.name,
            str(loc.subnet),
            ", ".join(f"{r} {latency_ms(topo, loc.name, r):.0f} ms" for r in order),
        )
    console.print(routes)


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
