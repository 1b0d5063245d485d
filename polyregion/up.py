"""`polyregion up`: the sandbox as it runs, composed of its layers.

The one place that sees the sandbox (the supervisor, lowest), the replicator and the dashboard
(above it) together: it hands the supervisor the components' factories, so the sandbox never
imports the layers built on it (docs/architecture.md).
"""

from __future__ import annotations

import os
from typing import Annotated, Final

import typer

from polyregion.errors import SandboxError
from polyregion.options import ConfigOpt
from polyregion.sandbox import commands
from polyregion.sandbox.component import ComponentFactory

# What the region endpoints host for replication (S3 replication status, replica writes,
# read-only secret replicas): plugged into each endpoint process by name.
ENDPOINT_EXTENSIONS: Final = ("polyregion.replication.endpoint:wrap",)


def components() -> list[ComponentFactory]:
    """What `up` plugs into the supervisor, in start order (imported late: boto3, starlette)."""
    from polyregion.dashboard.component import dashboard_component
    from polyregion.replication.sandbox import replicator

    return [replicator, dashboard_component]


def up(
    config: ConfigOpt = None,
    detach: Annotated[
        bool, typer.Option("--detach", "-d", help="Run in the background; return when healthy.")
    ] = False,
    fast: Annotated[
        bool,
        typer.Option(
            "--fast",
            help="Fast timings for tests and demos (1 s interval, threshold 2, TTL 1 s): "
            "NOT AWS values.",
        ),
    ] = False,
) -> None:
    """Start the local sandbox: every region, Route 53 and an edge per location.

    Each region is an AWS endpoint plus the app; Route 53 is its API, health checkers and DNS.
    Prints one URL per simulated location to browse from. Ctrl-C (or `polyregion down` when
    detached) stops everything.
    """
    import asyncio

    from rich.console import Console

    from polyregion.sandbox import render
    from polyregion.sandbox.components import SANDBOX_AWS_ENV
    from polyregion.sandbox.rundir import RunDir
    from polyregion.sandbox.supervisor import Supervisor
    from polyregion.topology import load

    topology = load(config)
    run_dir = RunDir.for_topology(topology)
    control = f"http://127.0.0.1:{topology.sandbox.control_port}"
    if (pid := run_dir.running_pid()) is not None:
        who = f" (pid {pid})" if pid > 0 else ""
        raise SandboxError(
            f"a sandbox is already running{who} with control API {control}; "
            f"use it, or stop it with `{commands._down(config)}`"
        )
    if detach:
        commands._detach(topology.source, config, fast, run_dir, control)
        return
    # This process talks only to the sandbox's own endpoints: never with real credentials.
    os.environ.update(SANDBOX_AWS_ENV)
    console = Console()
    console.print(f"starting the sandbox for [bold]{topology.name}[/] from {topology.source} ...")

    def healthy(sv: Supervisor) -> None:
        console.print(render.summary(sv.status()))
        console.print("[dim]events follow; Ctrl-C stops everything[/]")
        render.print_events(console, [e.to_json() for e in sv.events.recent(5)])
        sv.events.subscribe(lambda e: console.print(render.event_line(e.to_json())))

    supervisor = Supervisor(
        topology,
        fast=fast,
        run_dir=run_dir,
        components=components(),
        endpoint_extensions=ENDPOINT_EXTENSIONS,
    )
    asyncio.run(supervisor.run(on_healthy=healthy))
    console.print("sandbox stopped: no process left")


def register(app: typer.Typer) -> None:
    app.command("up")(up)
