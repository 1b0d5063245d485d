"""`polyregion dashboard`: serve the live dashboard for a running sandbox by itself.

`polyregion up` already starts the dashboard; this command is for a second one, another port,
or a sandbox started elsewhere on this machine.
"""

from __future__ import annotations

from typing import Annotated

import typer

from polyregion.options import ConfigOpt


def register(app: typer.Typer) -> None:
    app.command("dashboard")(dashboard)


def dashboard(
    control_url: Annotated[
        str | None,
        typer.Option(help="The sandbox's control API (default: from the topology's control_port)."),
    ] = None,
    port: Annotated[
        int, typer.Option(min=1, max=65535, help="Port to serve the dashboard on.")
    ] = 7601,
    host: Annotated[
        str, typer.Option(help="Loopback address to listen on (it can inject faults).")
    ] = "127.0.0.1",
    config: ConfigOpt = None,
) -> None:
    """Serve a second live dashboard for a running sandbox (up already serves one)."""
    from polyregion.dashboard.server import check_control_url, check_loopback, serve
    from polyregion.topology.load import load

    topology = load(config)
    if control_url is None:
        control_url = f"http://127.0.0.1:{topology.sandbox.control_port}"
    places = {r.name: r.coordinates for r in topology.regions}
    places.update({x.name: x.coordinates for x in topology.locations})
    check_loopback(host)
    check_control_url(control_url)
    typer.echo(f"dashboard: http://{host}:{port}/  (control API {control_url})")
    serve(
        control_url,
        host=host,
        port=port,
        coordinates={name: (c.lat, c.lon) for name, c in places.items()},
    )
