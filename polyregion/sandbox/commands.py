"""`polyregion down|fault`: stop and break the running sandbox (`up`, `status`: stack.py)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Annotated

import typer

from polyregion.options import ConfigOpt

fault_app = typer.Typer(
    help="Break the running sandbox: kill a region, fail a dependency, cut replication.",
    no_args_is_help=True,
)


def _down(config: Path | None) -> str:
    """The exact command that stops this sandbox: its run directory depends on the topology."""
    return "polyregion down" + (f" -c {config}" if config is not None else "")


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
    app.command("down")(down)
    app.add_typer(fault_app, name="fault")
