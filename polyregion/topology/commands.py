"""`polyregion config check|show`: validate and explain the topology file."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from polyregion.topology.latency import latency_ms, regions_by_latency
from polyregion.topology.load import load
from polyregion.topology.resources import resolve_command

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
    resolve_command(topo)  # ConfigError (exit 2) when the app's program is not found
    for message in topo.deprecations:
        typer.echo(f"warning: {topo.source}: {message}", err=True)
    regions = ", ".join(f"{r.name} ({r.role})" for r in topo.regions)
    tables = ", ".join(f"{t.name} ({t.scope})" for t in topo.tables) or "none"
    buckets = ", ".join(f"{b.name} ({b.scope})" for b in topo.buckets) or "none"
    app = shlex.join(topo.app_command) if topo.app_command else "the bundled blog"
    typer.echo(
        f"{topo.source}: valid. regions: {regions}; locations: {len(topo.locations)}; "
        f"tables: {tables}; buckets: {buckets}; app: {app}"
    )


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
    regions = Table("region", "role", "buckets", title="Regions")
    for r in topo.regions:
        names = ", ".join(naming.bucket(topo, r.name, name=b.name) for b in topo.buckets)
        regions.add_row(r.name, str(r.role), names or "-")
    console.print(regions)
    data = Table("table", "scope", "physical name", "key", "indexes", title="Tables")
    for t in topo.tables:
        key = "/".join(t.key_attributes)
        indexes = ", ".join(i.name for i in t.indexes) or "-"
        data.add_row(t.name, str(t.scope), naming.table(topo, t.name), key, indexes)
    console.print(data)
    if topo.app_command:
        console.print(f"App: {shlex.join(topo.app_command)} (in {topo.app_dir})")
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


def init(
    directory: Annotated[
        Path, typer.Argument(help="The project directory (default: the current one).")
    ] = Path(),
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing polyregion.toml.")
    ] = False,
) -> None:
    """Write a commented polyregion.toml guessed from the project in DIRECTORY."""
    from polyregion.topology import scaffold

    path, guess = scaffold.write(directory, force=force)
    typer.echo(f"wrote {path}: {guess.framework} ({guess.evidence})")
    typer.echo(f"command: {shlex.join(guess.command)}")
    typer.echo("fill in:")
    for item in guess.todo:
        typer.echo(f"  - {item}")
    typer.echo(f"then: polyregion config check {path} && polyregion up --config {path}")


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
    app.command("init")(init)
