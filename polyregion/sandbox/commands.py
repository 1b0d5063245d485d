"""`polyregion up|down|status|fault`: run the local multi-region sandbox and break it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from polyregion.errors import SandboxError
from polyregion.options import ConfigOpt

DETACH_TIMEOUT_S = 90.0

fault_app = typer.Typer(
    help="Break the running sandbox: kill a region, fail a dependency, cut replication.",
    no_args_is_help=True,
)


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

    from polyregion.sandbox import components, render
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
            f"use it, or stop it with `{_down(config)}`"
        )
    if detach:
        _detach(topology.source, config, fast, run_dir, control)
        return
    # This process talks only to the sandbox's own endpoints: never with real credentials.
    os.environ.update(components.SANDBOX_AWS_ENV)
    console = Console()
    console.print(f"starting the sandbox for [bold]{topology.name}[/] from {topology.source} ...")

    def healthy(sv: Supervisor) -> None:
        console.print(render.summary(sv.status()))
        console.print("[dim]events follow; Ctrl-C stops everything[/]")
        render.print_events(console, [e.to_json() for e in sv.events.recent(5)])
        sv.events.subscribe(lambda e: console.print(render.event_line(e.to_json())))

    supervisor = Supervisor(topology, fast=fast, run_dir=run_dir)
    asyncio.run(supervisor.run(on_healthy=healthy))
    console.print("sandbox stopped: no process left")


def _down(config: Path | None) -> str:
    """The exact command that stops this sandbox: its run directory depends on the topology."""
    return "polyregion down" + (f" -c {config}" if config is not None else "")


def _detach(source: str, config: Path | None, fast: bool, run_dir: object, control: str) -> None:
    from rich.console import Console

    from polyregion.sandbox import render
    from polyregion.sandbox.client import SandboxClient
    from polyregion.sandbox.rundir import RunDir

    assert isinstance(run_dir, RunDir)
    argv = [sys.executable, "-m", "polyregion.cli", "up"]
    if config is not None:
        argv += ["--config", str(config.resolve())]
    if fast:
        argv.append("--fast")
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
    with SandboxClient(control, timeout_s=2.0) as client:
        while True:
            if proc.poll() is not None:
                # Enough lines for the failure report, which quotes the app's own log.
                tail = run_dir.log_file.read_text(errors="replace").strip().splitlines()[-25:]
                raise SandboxError(
                    f"the sandbox exited while starting (see {run_dir.log_file}):\n"
                    + "\n".join(tail)
                )
            try:
                status = client.status()
            except SandboxError:
                status = {}
            if status.get("healthy"):
                break
            if time.monotonic() > deadline:
                os.killpg(proc.pid, signal.SIGTERM)
                raise SandboxError(
                    f"the sandbox did not become healthy in {DETACH_TIMEOUT_S:.0f} s; "
                    f"see {run_dir.log_file}"
                )
            time.sleep(0.2)
    console = Console()
    console.print(render.summary(status))
    console.print(
        f"running in the background (pid {proc.pid}, log {run_dir.log_file}); "
        f"stop it with `{_down(config)}`"
    )


def down(config: ConfigOpt = None) -> None:
    """Stop the running sandbox and every process it started."""
    from polyregion.sandbox.process import group_alive, pid_alive, stop_groups
    from polyregion.sandbox.rundir import RunDir
    from polyregion.topology import load

    topology = load(config)
    run_dir = RunDir.for_topology(topology)
    pid = run_dir.running_pid()
    if pid is None:
        # A supervisor that was SIGKILLed: its children normally died with it (PDEATHSIG).
        leftovers = [g for g in run_dir.recorded_children().values() if group_alive(g)]
        run_dir.children_file.unlink(missing_ok=True)
        if leftovers:
            stop_groups(leftovers)
            typer.echo(f"no sandbox was running; stopped {len(leftovers)} leftover processes")
        else:
            typer.echo(f"no sandbox is running (control port {topology.sandbox.control_port})")
        return
    deadline = time.monotonic() + 5.0
    while pid < 0 and time.monotonic() < deadline:  # starting: the pid file comes next
        time.sleep(0.1)
        pid = run_dir.running_pid() or 0
    if pid > 0:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20.0
    while run_dir.running_pid() is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    # The lock goes first; give the process a moment to finish exiting before insisting.
    deadline = time.monotonic() + 5.0
    while pid > 0 and pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid > 0 and pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    remaining = [g for g in run_dir.recorded_children().values() if group_alive(g)]
    stop_groups(remaining)
    run_dir.children_file.unlink(missing_ok=True)
    typer.echo("sandbox stopped")


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
    console.print(render.summary(data))
    render.print_events(console, data["events"][-10:])


def _fault(config: Path | None, action: str, **params: object) -> None:
    from rich.console import Console

    from polyregion.sandbox import render
    from polyregion.sandbox.client import SandboxClient
    from polyregion.topology import load

    with SandboxClient.for_topology(load(config)) as client:
        result = client.fault(action, **params)
    render.print_events(Console(), result["events"])


RegionArg = Annotated[str, typer.Argument(help="A region of the topology, e.g. eu-west-1.")]


@fault_app.command("kill")
def fault_kill(region: RegionArg, config: ConfigOpt = None) -> None:
    """Kill a region's app: its origin stops answering and traffic moves away."""
    _fault(config, "kill", region=region)


@fault_app.command("revive")
def fault_revive(region: RegionArg, config: ConfigOpt = None) -> None:
    """Start a killed region's app again."""
    _fault(config, "revive", region=region)


@fault_app.command("dependency")
def fault_dependency(
    region: RegionArg,
    dependency: Annotated[str, typer.Argument(help="dynamodb, s3 or secrets.")],
    mode: Annotated[str, typer.Argument(help="down (503s), slow (hangs) or up (normal).")],
    config: ConfigOpt = None,
) -> None:
    """Fail one AWS service in a region: its health check fails, traffic moves."""
    _fault(config, "dependency", region=region, dependency=dependency, mode=mode)


@fault_app.command("partition")
def fault_partition(
    a: Annotated[str, typer.Argument(metavar="REGION_A", help="One side, e.g. us-east-1.")],
    b: Annotated[str, typer.Argument(metavar="REGION_B", help="The other side, e.g. eu-west-1.")],
    config: ConfigOpt = None,
) -> None:
    """Stop replication between two regions until `fault heal`."""
    _fault(config, "partition", regions=[a, b])


@fault_app.command("heal")
def fault_heal(config: ConfigOpt = None) -> None:
    """Undo every fault: regions revived, dependencies up, partitions healed."""
    _fault(config, "heal")


def register(app: typer.Typer) -> None:
    app.command("up")(up)
    app.command("down")(down)
    app.command("status")(status)
    app.add_typer(fault_app, name="fault")
