"""Keeps the data plane in step with the control plane: moto's stored zone, records and health
checks -> a `ZoneSnapshot` for the DNS server and `HealthCheckSpec`s for the checkers.

The API front calls `sync()` right after every change it forwards (so an UpdateHealthCheck
reaches DNS in milliseconds); a poller also runs every `poll_interval_s` to catch changes
made straight against moto.
"""

from __future__ import annotations

import ast
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from polyregion.sandbox.route53.checkers import HealthCheckers, HealthCheckSpec
from polyregion.sandbox.route53.probe import ProbeTarget
from polyregion.sandbox.route53.profiles import TimingProfile
from polyregion.sandbox.route53.routing import RecordSet, ZoneSnapshot, normalize
from polyregion.topology.regions import HEALTH_CHECKER_REGIONS

if TYPE_CHECKING:
    from mypy_boto3_route53 import Route53Client

log = logging.getLogger(__name__)
PROBED_TYPES = frozenset({"HTTP", "TCP"})  # HTTPS, string matching, calculated: not probed


def _value(raw: str) -> str:
    """moto stores the zone's SOA value as the repr of a dict ("{'Value': '...'}"): unwrap it."""
    if raw.startswith("{'Value':"):
        try:
            parsed = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            return raw
        value = parsed.get("Value") if isinstance(parsed, dict) else None
        if isinstance(value, str):
            return value
    return raw


def record_set(raw: Any) -> RecordSet | None:
    """A Route 53 ResourceRecordSet dict -> RecordSet (alias records are not served yet)."""
    if "AliasTarget" in raw:
        return None
    return RecordSet(
        name=normalize(raw["Name"]),
        type=raw["Type"],
        ttl=int(raw.get("TTL", 300)),
        values=tuple(_value(v["Value"]) for v in raw.get("ResourceRecords", [])),
        set_identifier=raw.get("SetIdentifier"),
        region=raw.get("Region"),
        failover=raw.get("Failover"),
        health_check_id=raw.get("HealthCheckId"),
    )


def health_check_spec(
    raw: Any, profile: TimingProfile, region_of: dict[str, str]
) -> HealthCheckSpec | None:
    """A Route 53 HealthCheck dict -> what the checkers probe; None for types not emulated."""
    cfg = raw["HealthCheckConfig"]
    if cfg.get("Type") not in PROBED_TYPES or not cfg.get("IPAddress"):
        return None
    aws = profile.aws_faithful
    return HealthCheckSpec(
        id=raw["Id"],
        target=ProbeTarget(
            cfg["IPAddress"],
            int(cfg.get("Port", 80)),
            cfg.get("ResourcePath") or "/",
            cfg.get("FullyQualifiedDomainName"),
            cfg["Type"],
        ),
        # Without Regions, Route 53 uses every checker region.
        checker_regions=tuple(cfg.get("Regions") or HEALTH_CHECKER_REGIONS),
        interval_s=float(cfg.get("RequestInterval", 30)) if aws else profile.interval_s,
        failure_threshold=int(cfg.get("FailureThreshold", 3)) if aws else profile.failure_threshold,
        inverted=bool(cfg.get("Inverted", False)),
        disabled=bool(cfg.get("Disabled", False)),
        region=region_of.get(raw["Id"]),
    )


class Route53Mirror:
    """Reads the hosted zone for `domain` and every health check from `client` (moto)."""

    def __init__(
        self,
        client: Route53Client,
        domain: str,
        checkers: HealthCheckers,
        profile: TimingProfile,
        *,
        poll_interval_s: float = 0.5,
        on_sync: Callable[[ZoneSnapshot], None] | None = None,
    ) -> None:
        self.client = client
        self.domain = normalize(domain)
        self.checkers = checkers
        self.profile = profile
        self.poll_interval_s = poll_interval_s
        self._on_sync = on_sync
        self._snapshot: ZoneSnapshot | None = None
        self._zone_id: str | None = None
        self._sync_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def snapshot(self) -> ZoneSnapshot | None:
        """The zone as last read (None before the first sync): the resolver's zone source."""
        return self._snapshot

    def sync(self) -> ZoneSnapshot | None:
        with self._sync_lock:
            zone_id = self._zone_id or self._find_zone()
            if zone_id is None:
                return None
            records = []
            for page in self.client.get_paginator("list_resource_record_sets").paginate(
                HostedZoneId=zone_id
            ):
                records += [r for raw in page["ResourceRecordSets"] if (r := record_set(raw))]
            region_of = {
                r.health_check_id: r.region or r.set_identifier or ""
                for r in records
                if r.health_check_id
            }
            specs = []
            for hc_page in self.client.get_paginator("list_health_checks").paginate():
                specs += [
                    s
                    for raw in hc_page["HealthChecks"]
                    if (s := health_check_spec(raw, self.profile, region_of))
                ]
            self.checkers.configure(specs)
            self._snapshot = ZoneSnapshot(self.domain, zone_id, tuple(records))
            if self._on_sync:
                self._on_sync(self._snapshot)
            return self._snapshot

    def forget_zone(self) -> None:
        """The zone was created again (a new id): look it up at the next sync."""
        with self._sync_lock:
            self._zone_id = None

    def _find_zone(self) -> str | None:
        wanted = self.domain + "."
        zones = self.client.list_hosted_zones_by_name(DNSName=wanted, MaxItems="1")
        for z in zones["HostedZones"]:
            if z["Name"] == wanted:
                self._zone_id = z["Id"].split("/")[-1]
        return self._zone_id

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="r53-mirror", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_interval_s):
            try:
                self.sync()
            except Exception:  # moto restarting or briefly busy: keep the last good view
                log.warning("route53 mirror: sync failed; keeping the last view", exc_info=True)
