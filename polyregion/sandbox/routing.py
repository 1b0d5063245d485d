"""The Route 53 side of the sandbox: `route53.service.Route53Emulation`, wired to the plan.

The emulation (control plane on its own moto, API front, checkers, DNS server) runs inside the
supervisor on threads; this adapter gives it the origins' and edges' addresses and turns its
health statuses into the status JSON's `health` objects.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from polyregion.sandbox.plan import SandboxPlan
from polyregion.sandbox.route53.checkers import HealthFlip, HealthStatus
from polyregion.sandbox.route53.control import Origin
from polyregion.sandbox.route53.profiles import TimingProfile
from polyregion.sandbox.route53.service import Route53Emulation
from polyregion.topology.model import Topology

FlipCallback = Callable[[str | None, bool, dict[str, Any]], None]


def health_json(status: HealthStatus) -> dict[str, Any]:
    """One region's health as the status JSON shows it: the routing verdict, then each
    checker region's own observation (what GetHealthCheckStatus returns)."""
    return {
        "healthy": status.healthy,
        "status": "healthy" if status.healthy else "unhealthy",
        "health_check_id": status.health_check_id,
        "measured_healthy": status.measured_healthy,
        "healthy_checkers": status.healthy_checkers,
        "checkers_total": status.checkers,
        "inverted": status.inverted,
        "disabled": status.disabled,
        "changed_at": status.changed_at,
        "checkers": {
            o.checker_region: {
                "healthy": o.healthy,
                "status": o.last.report if o.last else None,
                "status_code": o.last.status_code if o.last else None,
                "latency_ms": round(o.last.latency_s * 1000, 1) if o.last else None,
                "checked_at": o.checked_at,
                "consecutive_ok": o.consecutive_ok,
                "consecutive_failed": o.consecutive_failed,
            }
            for o in status.observations
        },
    }


class Routing:
    def __init__(
        self,
        topology: Topology,
        plan: SandboxPlan,
        profile: TimingProfile,
        *,
        on_flip: FlipCallback,
    ) -> None:
        self.plan = plan
        self._on_flip = on_flip
        self.emulation = Route53Emulation(
            topology,
            moto_url=plan.route53_moto_endpoint,
            origins={r.name: Origin(r.ip, r.origin_port) for r in plan.regions},
            profile=profile,
            dns_host=plan.dns_host,
            dns_port=plan.dns_port,
            api_host=plan.route53_host,
            api_port=plan.route53_port,
            sources={loc.ip: loc.name for loc in plan.locations},
            on_flip=self._flip,
            clock=time.time,
        )

    def start(self) -> None:
        """Blocking (provisions through the API): run it in a thread."""
        self.emulation.start()
        self.emulation.set_app_records({loc.name: loc.ip for loc in self.plan.locations})

    def reprovision(self) -> None:
        """Blocking: after Route 53's moto restarted empty (see Route53Emulation.reprovision)."""
        self.emulation.reprovision()
        self.emulation.set_app_records({loc.name: loc.ip for loc in self.plan.locations})

    def stop(self) -> None:
        self.emulation.stop()

    @property
    def endpoint(self) -> str:
        return self.emulation.route53_endpoint

    @property
    def hosted_zone_id(self) -> str | None:
        p = self.emulation.provisioned
        return p.zone_id if p else None

    def health(self) -> dict[str, dict[str, Any]]:
        return {region: health_json(s) for region, s in self.emulation.region_health().items()}

    def _flip(self, flip: HealthFlip) -> None:
        self._on_flip(
            flip.region,
            flip.healthy,
            {"health_check_id": flip.health_check_id, "reason": flip.reason, "at": flip.at},
        )
