"""The dashboard as a part of `polyregion up`: served from the supervisor's own event loop.

It still talks to the sandbox only through the control API (so it sees exactly what the CLI
and drills see); being in-process saves a child process and a second of start-up. It listens
on the plan's reserved dashboard address (127.0.0.1, `sandbox.base_port` + 4) and adds
`dashboard_url` to the status JSON. A sandbox component (`polyregion.sandbox.component`),
composed in by `polyregion up`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from polyregion.dashboard.app import create_app
from polyregion.sandbox.component import ComponentContext
from polyregion.sandbox.plan import SHARED_HOST
from polyregion.sandbox.servers import BackgroundServer

if TYPE_CHECKING:
    from starlette.applications import Starlette


class DashboardComponent:
    name = "dashboard"

    def __init__(self) -> None:
        self.app: Starlette | None = None
        self.server: BackgroundServer | None = None
        self.url: str | None = None

    async def start(self, ctx: ComponentContext) -> None:
        topology, plan = ctx.topology, ctx.plan
        coordinates = {
            **{r.name: (r.coordinates.lat, r.coordinates.lon) for r in topology.regions},
            **{x.name: (x.coordinates.lat, x.coordinates.lon) for x in topology.locations},
        }
        self.app = create_app(plan.control_url, coordinates=coordinates)
        self.server = BackgroundServer(self.app, SHARED_HOST, plan.dashboard_port, name="dashboard")
        await self.server.start()
        # Poll from the start, not from the first page view: the lag chart then has a history.
        self.app.state.hub.ensure_started()
        self.url = f"http://{SHARED_HOST}:{plan.dashboard_port}/"

    def status(self) -> dict[str, Any]:
        return {"dashboard_url": self.url}

    async def stop(self) -> None:
        if self.app is not None:
            # Ends the open event streams first, or the server would wait for them to finish.
            await self.app.state.hub.aclose()
        if self.server is not None:
            await self.server.stop()


def dashboard_component() -> DashboardComponent:
    """The factory `polyregion up` hands the supervisor."""
    return DashboardComponent()
