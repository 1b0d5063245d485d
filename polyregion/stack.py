"""`polyregion up` and `polyregion status`: the sandbox stack, composed of its layers.

The one place that sees the sandbox (the supervisor, lowest), the replicator and the dashboard
(above it) together: it hands the supervisor the components' factories and the endpoints'
extension, and adds the replication tables to the status summary, so the sandbox never
imports the layers built on it (docs/architecture.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer

from polyregion.errors import SandboxError
from polyregion.options import ConfigOpt
from polyregion.sandbox import commands
from polyregion.sandbox.component import ComponentFactory
from polyregion.sandbox.status_types import SandboxStatus

if TYPE_CHECKING:
    from rich.console import Console, Group

DETACH_TIMEOUT_S = 90.0

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
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh",
            help="Start with empty regions: discard the tables, buckets and secrets the last "
            "`down` kept.",
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

    from polyregion.progress import phases
    from polyregion.sandbox import render
    from polyregion.sandbox.components import SANDBOX_AWS_ENV
    from polyregion.sandbox.events import Event
    from polyregion.sandbox.pac import write_pac_files
    from polyregion.sandbox.rundir import RunDir
    from polyregion.sandbox.supervisor import Supervisor
    from polyregion.topology import load
    from polyregion.topology.resources import resolve_command

    topology = load(config)
    resolve_command(topology)  # a command that is not found: exit 2 before anything starts
    for message in topology.deprecations:
        typer.echo(f"warning: {topology.source}: {message}", err=True)
    run_dir = RunDir.for_topology(topology)
    control = f"http://127.0.0.1:{topology.sandbox.control_port}"
    if (pid := run_dir.running_pid()) is not None:
        who = f" (pid {pid})" if pid > 0 else ""
        raise SandboxError(
            f"a sandbox is already running{who} with control API {control}; "
            f"use it, or stop it with `{commands._down(config)}`"
        )
    if detach:
        _detach(topology.source, config, fast, run_dir, control, fresh=fresh)
        return
    # This process talks only to the sandbox's own endpoints: never with real credentials.
    os.environ.update(SANDBOX_AWS_ENV)
    console = Console()
    console.print(f"starting the sandbox for [bold]{topology.name}[/] from {topology.source} ...")

    progress = contextlib.ExitStack()
    done = progress.enter_context(phases(f"starting the {topology.name} sandbox"))
    started: list[bool] = []

    def show_phase(event: Event) -> None:
        if not started and event.kind == "sandbox" and "phase" in event.detail:
            done(event.message)

    def healthy(sv: Supervisor) -> None:
        started.append(True)
        progress.close()
        show(console, sv.status())
        console.print("[dim]events follow; Ctrl-C stops everything[/]")
        render.print_events(console, [e.to_json() for e in sv.events.recent(5)])
        sv.events.subscribe(lambda e: console.print(render.event_line(e.to_json())))

    supervisor = Supervisor(
        topology,
        fast=fast,
        run_dir=run_dir,
        components=components(),
        endpoint_extensions=ENDPOINT_EXTENSIONS,
        fresh=fresh,
    )
    write_pac_files(run_dir.path, supervisor.plan, topology.app_hostname)
    supervisor.events.subscribe(show_phase)
    try:
        asyncio.run(supervisor.run(on_healthy=healthy))
    finally:
        progress.close()
    console.print("sandbox stopped: no process left")


def show(console: Console, status: SandboxStatus) -> None:
    """Print the summary: the tables fit the console; the commands, URLs and log paths below
    them are printed whole for copying (soft wrap: the terminal wraps them, rich does not fold
    them at 80 columns when the output is a pipe)."""
    console.print(summary(status), soft_wrap=True)


def summary(status: SandboxStatus) -> Group:
    """The sandbox's summary, with the replication tables when the replicator reports."""
    from polyregion.replication.render import lag_table, streams_table
    from polyregion.sandbox import render

    replication = status.get("replication") or {}
    extra = []
    if replication.get("pairs"):
        extra.append(lag_table(replication))
        if replication.get("streams"):
            extra.append(streams_table(replication))
    return render.summary(status, extra=extra)


def _detach(
    source: str,
    config: Path | None,
    fast: bool,
    run_dir: object,
    control: str,
    *,
    fresh: bool = False,
) -> None:
    from rich.console import Console

    from polyregion.progress import phases
    from polyregion.sandbox.client import SandboxClient
    from polyregion.sandbox.rundir import RunDir

    assert isinstance(run_dir, RunDir)
    argv = [sys.executable, "-m", "polyregion.cli", "up"]
    if config is not None:
        argv += ["--config", str(config.resolve())]
    if fast:
        argv.append("--fast")
    if fresh:
        argv.append("--fresh")
    run_dir.path.mkdir(parents=True, exist_ok=True)
    with run_dir.log_file.open("ab") as log:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives this shell; `polyregion down` stops it
        )
    deadline = time.monotonic() + DETACH_TIMEOUT_S
    shown = 0  # the last start event printed
    with (
        SandboxClient(control, timeout_s=2.0) as client,
        phases("starting the sandbox in the background") as done,
    ):
        while True:
            if proc.poll() is not None:
                # Enough lines for the failure report, which quotes the app's own log.
                tail = run_dir.log_file.read_text(errors="replace").strip().splitlines()[-25:]
                raise SandboxError(
                    f"the sandbox exited while starting (see {run_dir.log_file}):\n"
                    + "\n".join(tail)
                )
            try:
                status: SandboxStatus | None = client.status()
            except SandboxError:
                status = None
            events = status["events"] if status is not None else []
            for event in events:
                if (
                    event["seq"] > shown
                    and event["kind"] == "sandbox"
                    and event["detail"].get("phase")
                ):
                    done(event["message"])
            shown = max([shown, *(e["seq"] for e in events)])
            if status is not None and status.get("healthy"):
                break
            if time.monotonic() > deadline:
                os.killpg(proc.pid, signal.SIGTERM)
                raise SandboxError(
                    f"the sandbox did not become healthy in {DETACH_TIMEOUT_S:.0f} s; "
                    f"see {run_dir.log_file}"
                )
            time.sleep(0.2)
    console = Console()
    show(console, status)
    console.print(
        f"running in the background (pid {proc.pid}, log {run_dir.log_file}); "
        f"stop it with `{commands._down(config)}`"
    )


def status(
    config: ConfigOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the status as JSON (fields in docs/sandbox.md).")
    ] = False,
) -> None:
    """Show the sandbox: health per region, routing per location, recent events."""
    from rich.console import Console

    from polyregion.sandbox import render
    from polyregion.sandbox.client import SandboxClient
    from polyregion.topology import load

    with SandboxClient.for_topology(load(config)) as client:
        data = client.status()
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    console = Console()
    show(console, data)
    render.print_events(console, data["events"][-10:])


def register(app: typer.Typer) -> None:
    app.command("up")(up)
    app.command("status")(status)
