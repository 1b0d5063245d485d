"""The Route 53 control plane of the sandbox: the hosted zone, one health check per region and
the latency records of origin.<domain>, created through the Route 53 API (boto3).

Plan, then execute: `plan_route53()` turns the topology and the origins' addresses into data
(printable with `describe()`, testable without any endpoint); `apply_plan()` makes the calls.
The same calls work against moto (the sandbox) and, with another client, against AWS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from polyregion.sandbox.route53.profiles import TimingProfile
from polyregion.topology.model import Topology

if TYPE_CHECKING:
    from mypy_boto3_route53 import Route53Client


LOCAL_KEY: Final = "sandbox"  # placeholder credentials for local endpoints (moto checks none)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where one region's origin listens (a loopback address in the sandbox)."""

    ip: str
    port: int


@dataclass(frozen=True, slots=True)
class HealthCheckPlan:
    region: str  # the region whose origin is checked
    caller_reference: str
    config: Mapping[str, Any]  # HealthCheckConfig, as create_health_check takes it


@dataclass(frozen=True, slots=True)
class RecordPlan:
    region: str
    name: str
    ip: str
    ttl: int


@dataclass(frozen=True, slots=True)
class Route53Plan:
    domain: str
    zone_caller_reference: str
    health_checks: tuple[HealthCheckPlan, ...]
    records: tuple[RecordPlan, ...]

    def describe(self) -> list[str]:
        """One line per API call, for --dry-run and logs."""
        lines = [f"create-hosted-zone --name {self.domain} (reused if it exists)"]
        for hc in self.health_checks:
            c = hc.config
            lines.append(
                f"create-health-check [{hc.region}] HTTP {c['IPAddress']}:{c['Port']}"
                f"{c['ResourcePath']} every {c['RequestInterval']} s, threshold "
                f"{c['FailureThreshold']}, checkers {','.join(c['Regions'])}"
            )
        for r in self.records:
            lines.append(
                f"change-resource-record-sets UPSERT {r.name} A {r.ip} TTL {r.ttl} "
                f"latency Region={r.region} SetIdentifier={r.region} (+ its health check)"
            )
        return lines


@dataclass(frozen=True, slots=True)
class Provisioned:
    zone_id: str
    health_check_ids: Mapping[str, str]  # region -> health check id


def plan_route53(
    topology: Topology, origins: Mapping[str, Origin], profile: TimingProfile
) -> Route53Plan:
    """What to create for `topology`. The stored RequestInterval and FailureThreshold stay the
    topology's (AWS accepts only 10 or 30 s); a fast profile changes only the emulation."""
    missing = [r for r in topology.region_names if r not in origins]
    if missing:
        raise ValueError(f"no origin address for region(s) {', '.join(missing)}")
    health = topology.health
    checks = tuple(
        HealthCheckPlan(
            region=region,
            caller_reference=f"{topology.name}-{region}-origin",
            config={
                "IPAddress": origins[region].ip,
                "Port": origins[region].port,
                "Type": "HTTP",
                "ResourcePath": health.path,
                "RequestInterval": health.interval_s,
                "FailureThreshold": health.failure_threshold,
                "Regions": list(health.checker_regions),
            },
        )
        for region in topology.region_names
    )
    records = tuple(
        RecordPlan(region, topology.origin_hostname, origins[region].ip, profile.origin_ttl_s)
        for region in topology.region_names
    )
    return Route53Plan(topology.domain, f"{topology.name}-zone", checks, records)


def _zone_id(client: Route53Client, plan: Route53Plan) -> str:
    wanted = plan.domain.rstrip(".") + "."
    found = client.list_hosted_zones_by_name(DNSName=wanted, MaxItems="1")["HostedZones"]
    if found and found[0]["Name"] == wanted:
        return found[0]["Id"]
    zone = client.create_hosted_zone(Name=plan.domain, CallerReference=plan.zone_caller_reference)
    return zone["HostedZone"]["Id"]


def _health_check_id(client: Route53Client, hc: HealthCheckPlan) -> str:
    # Reuse a check with our caller reference (AWS refuses a second create with a new config).
    for page in client.get_paginator("list_health_checks").paginate():
        for existing in page["HealthChecks"]:
            if existing["CallerReference"] == hc.caller_reference:
                return existing["Id"]
    created = client.create_health_check(
        CallerReference=hc.caller_reference,
        HealthCheckConfig=dict(hc.config),  # type: ignore[arg-type]
    )
    return created["HealthCheck"]["Id"]


def apply_plan(client: Route53Client, plan: Route53Plan) -> Provisioned:
    """Execute the plan; safe to run again (zone, checks and records are reused/upserted)."""
    zone_id = _zone_id(client, plan)
    ids = {hc.region: _health_check_id(client, hc) for hc in plan.health_checks}
    changes: list[Any] = [
        {
            "Action": "UPSERT",
            "ResourceRecordSet": {
                "Name": r.name,
                "Type": "A",
                "SetIdentifier": r.region,
                "Region": r.region,
                "TTL": r.ttl,
                "HealthCheckId": ids[r.region],
                "ResourceRecords": [{"Value": r.ip}],
            },
        }
        for r in plan.records
    ]
    client.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Comment": "polyregion sandbox: latency records", "Changes": changes},
    )
    return Provisioned(zone_id.split("/")[-1], ids)


def route53_client(endpoint_url: str | None) -> Route53Client:
    """A Route 53 client (global service: us-east-1) for moto, the API front, or AWS (None).

    A local endpoint gets placeholder credentials: moto checks none, and the sandbox must not
    depend on (or pick up) whatever real AWS credentials the user has configured."""
    import boto3

    session = (
        boto3.session.Session()
        if endpoint_url is None
        else boto3.session.Session(
            aws_access_key_id=LOCAL_KEY,
            aws_secret_access_key=LOCAL_KEY,
        )
    )
    return session.client("route53", endpoint_url=endpoint_url, region_name="us-east-1")
