"""Route 53 rules: routing records, health checks, and what the checkers can reach."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from polyregion.lint.graph import Resource, Unresolved
from polyregion.lint.model import Severity
from polyregion.lint.rules.base import Context, Hit, path, rule
from polyregion.lint.rules.edge import cloudfront_target, routing_policy
from polyregion.lint.rules.hosts import apis_behind, resolve_host
from polyregion.topology.regions import HEALTH_CHECKER_REGIONS

# API_HealthCheckConfig: the regions health checkers run from (one list, in topology).
CHECKER_REGIONS = frozenset(HEALTH_CHECKER_REGIONS)
ENDPOINT_TYPES = ("HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP")


@rule(
    "DNS1",
    area="route53",
    severity=Severity.ERROR,
    title="Latency/failover/weighted records without a health check",
    fix="Attach a HealthCheckId to every record of the set (or, for an alias to an ELB/API/"
    "another record, set EvaluateTargetHealth: true).",
    reference="https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-how-route-53-chooses-records.html",
    pack=True,
)
def unchecked_routing(ctx: Context) -> Iterator[Hit]:
    for record in ctx.app.resources("AWS::Route53::RecordSet"):
        policy = routing_policy(record)
        if policy is None or record.properties.get("HealthCheckId"):
            continue
        if ctx.app.resolve(record.stack, record.properties.get("Failover")) == "SECONDARY":
            continue  # a last-resort secondary may be unchecked: it only serves when all else fails
        alias = record.properties.get("AliasTarget")
        evaluates = ctx.app.resolve(record.stack, path(alias, "EvaluateTargetHealth"))
        if (
            alias
            and evaluates in (True, "true", "True")
            and cloudfront_target(ctx.app, record) is None
        ):
            continue
        yield Hit(
            record,
            f"{policy} record has no health check"
            + (" and does not evaluate its alias target's health" if alias else "")
            + ": Route 53 treats it as always healthy and keeps sending users to a dead region",
        )


def _config(ctx: Context, check: Resource) -> dict[str, Any]:
    config = ctx.app.resolve(check.stack, check.properties.get("HealthCheckConfig"))
    return config if isinstance(config, dict) else {}


@rule(
    "DNS2",
    area="route53",
    severity=Severity.ERROR,
    title="Health check values AWS refuses",
    fix="RequestInterval 10 or 30; FailureThreshold 1-10; Regions: omit it (all checkers) or "
    "list at least 3 of us-east-1, us-west-1, us-west-2, eu-west-1, ap-southeast-1, "
    "ap-southeast-2, ap-northeast-1, sa-east-1.",
    reference="https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html",
    pack=True,
)
def refused_values(ctx: Context) -> Iterator[Hit]:
    for check in ctx.app.resources("AWS::Route53::HealthCheck"):
        config = _config(ctx, check)
        problems = []
        interval = config.get("RequestInterval")
        if interval is not None and str(interval) not in ("10", "30"):
            problems.append(f"RequestInterval {interval} (10 or 30)")
        threshold = config.get("FailureThreshold")
        if threshold is not None and (
            not str(threshold).isdigit() or not 1 <= int(threshold) <= 10
        ):
            problems.append(f"FailureThreshold {threshold} (1-10)")
        regions = config.get("Regions")
        if isinstance(regions, list):
            bad = [r for r in regions if isinstance(r, str) and r not in CHECKER_REGIONS]
            if bad:
                problems.append(f"Regions {', '.join(bad)} (no health checkers there)")
            if len(set(map(str, regions))) < 3:
                problems.append(f"{len(regions)} checker region(s) (at least 3)")
        if problems:
            yield Hit(
                check,
                f"{'; '.join(problems)}: CloudFormation fails to create the health check, so "
                "the stack that should make failover work does not deploy",
            )


def _route_for(routes: list[tuple[str, str]], method: str, path_: str) -> str | None:
    """The AuthorizationType of the route API Gateway picks for METHOD PATH (HTTP APIs)."""
    best: tuple[int, str] | None = None
    for key, auth in routes:
        if key == "$default":
            score = 0
        else:
            verb, _, pattern = key.partition(" ")
            if verb not in (method, "ANY"):
                continue
            if pattern == path_:
                score = 3 if verb == method else 2
            elif pattern.endswith("{proxy+}") and path_.startswith(pattern[: -len("{proxy+}")]):
                score = 1
            else:
                continue
        if best is None or score > best[0]:
            best = (score, auth)
    return best[1] if best else None


@rule(
    "DNS3",
    area="route53",
    severity=Severity.ERROR,
    title="A health check whose target path needs credentials checkers do not send",
    fix="Serve the health path without authorization (a dedicated route with AuthorizationType "
    "NONE, or a function URL the checkers can reach) and keep it cheap and read-only.",
    reference="https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html",
    pack=False,
)
def check_needs_credentials(ctx: Context) -> Iterator[Hit]:
    for check in ctx.app.resources("AWS::Route53::HealthCheck"):
        config = _config(ctx, check)
        if config.get("Type") not in ENDPOINT_TYPES[:4]:
            continue
        host = config.get("FullyQualifiedDomainName")
        if isinstance(host, Unresolved):
            ctx.note(check, "DNS3", host)
            continue
        if not isinstance(host, str):
            continue
        target = resolve_host(ctx.app, host, check.stack)
        resource_path = str(config.get("ResourcePath") or "/").split("?")[0]
        if target.kind == "lambda-url" and target.resource is not None:
            auth = ctx.app.resolve(
                target.resource.stack, target.resource.properties.get("AuthType")
            )
            if auth == "AWS_IAM":
                yield Hit(
                    check, _needs(host, resource_path, "a function URL with AuthType AWS_IAM")
                )
        elif target.kind == "api" and target.resource is not None:
            for api in apis_behind(ctx.app, target.resource):
                routes = [
                    (
                        str(ctx.app.resolve(r.stack, r.properties.get("RouteKey"))),
                        str(
                            ctx.app.resolve(r.stack, r.properties.get("AuthorizationType", "NONE"))
                        ),
                    )
                    for r in ctx.app.resources("AWS::ApiGatewayV2::Route")
                    if r.stack is api.stack
                    and (t := ctx.app.target(r.stack, r.properties.get("ApiId"))) is not None
                    and t.logical_id == api.logical_id
                ]
                auth = _route_for(routes, "GET", resource_path)
                if auth not in (None, "NONE"):
                    yield Hit(
                        check, _needs(host, resource_path, f"a route with {auth} authorization")
                    )


def _needs(host: str, resource_path: str, what: str) -> str:
    return (
        f"checks https://{host}{resource_path}, served by {what}: checkers send no credentials, "
        "get 401/403 and mark every region unhealthy, and Route 53 then fails open (routes to "
        "all regions regardless of health)"
    )
