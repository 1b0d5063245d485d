"""Route 53 health checks through the Route 53 API: find a region's check, invert it, read it.

Shared by the sandbox and AWS targets, so a drill inverts the sandbox's check with exactly the
calls it makes on AWS. Inverted (never Disabled) is the drill: a disabled check counts as
healthy and traffic keeps flowing (see docs/drills.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from polyregion.errors import DrillError

if TYPE_CHECKING:
    from mypy_boto3_route53 import Route53Client

HEALTHY_FRACTION = 0.18  # Route 53: healthy when MORE than 18% of checkers say so
REGION_TAG = "polyregion:region"


def find_health_check(client: Route53Client, region: str, *, origin_ip: str | None = None) -> str:
    """The id of `region`'s health check, by (in order) the `polyregion:region` tag, a
    CallerReference or hostname naming the region, or the origin's IP address."""
    checks: list[Any] = []
    for page in client.get_paginator("list_health_checks").paginate():
        checks.extend(page["HealthChecks"])
    if not checks:
        raise DrillError("no Route 53 health checks found; deploy (or start the sandbox) first")
    ids = [c["Id"] for c in checks]
    for start in range(0, len(ids), 10):  # the API takes at most 10 ids per call
        tagged = client.list_tags_for_resources(
            ResourceType="healthcheck", ResourceIds=ids[start : start + 10]
        )
        for res in tagged["ResourceTagSets"]:
            tags = {t["Key"]: t["Value"] for t in res.get("Tags", [])}
            if tags.get(REGION_TAG) == region:
                return str(res["ResourceId"])
    for c in checks:
        cfg = c["HealthCheckConfig"]
        if region in c.get("CallerReference", "") or region in cfg.get(
            "FullyQualifiedDomainName", ""
        ):
            return str(c["Id"])
    for c in checks:
        if origin_ip and c["HealthCheckConfig"].get("IPAddress") == origin_ip:
            return str(c["Id"])
    raise DrillError(
        f"no Route 53 health check found for {region}: tag it {REGION_TAG}={region} "
        "or pass --health-check-id"
    )


def set_inverted(client: Route53Client, health_check_id: str, inverted: bool) -> dict[str, Any]:
    """UpdateHealthCheck Inverted=..., re-sending the checker Regions: moto (and so the
    sandbox's control plane) erases them when an update omits them; AWS keeps them either way."""
    current = client.get_health_check(HealthCheckId=health_check_id)["HealthCheck"]
    regions = current["HealthCheckConfig"].get("Regions")
    kwargs: dict[str, Any] = {"HealthCheckId": health_check_id, "Inverted": inverted}
    if regions:
        kwargs["Regions"] = regions
    out = client.update_health_check(**kwargs)["HealthCheck"]["HealthCheckConfig"]
    return {"HealthCheckId": health_check_id, "Inverted": out.get("Inverted", inverted)}


def is_healthy(client: Route53Client, health_check_id: str) -> bool:
    """What Route 53 routes on: more than 18% of checkers must report success, and Inverted
    flips that verdict. Disabled counts as healthy whatever the checkers see (and disabled +
    inverted as unhealthy)."""
    cfg = client.get_health_check(HealthCheckId=health_check_id)["HealthCheck"]["HealthCheckConfig"]
    if cfg.get("Disabled"):
        return not cfg.get("Inverted")
    obs = client.get_health_check_status(HealthCheckId=health_check_id)["HealthCheckObservations"]
    ok = sum(o["StatusReport"]["Status"].startswith("Success") for o in obs)
    raw = not obs or ok / len(obs) > HEALTHY_FRACTION
    return raw != bool(cfg.get("Inverted"))


def cli_command(health_check_id: str, inverted: bool, endpoint: str | None = None) -> str:
    """The AWS CLI equivalent, printed by --dry-run and in reports."""
    flag = "--inverted" if inverted else "--no-inverted"
    ep = f" --endpoint-url {endpoint}" if endpoint else ""
    return f"aws route53 update-health-check --health-check-id {health_check_id} {flag}{ep}"
