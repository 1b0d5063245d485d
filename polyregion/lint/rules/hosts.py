"""What a hostname in a template points at: a Lambda function URL, an API, a load balancer,
a CloudFront distribution, following Route 53 records and API custom domains across stacks.

CloudFront origins and health checks name hosts, not resources; these helpers turn the host
back into the resource (when the app defines it) so rules can read its settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from polyregion.lint.graph import App, Resource
from polyregion.lint.model import Stack
from polyregion.lint.rules.base import as_list, hostname, path

PLACEHOLDER = re.compile(r"<([A-Za-z0-9]+)>")
API_TYPES = ("AWS::ApiGatewayV2::Api", "AWS::ApiGateway::RestApi")
DOMAIN_TYPES = ("AWS::ApiGatewayV2::DomainName", "AWS::ApiGateway::DomainName")


@dataclass(frozen=True, slots=True)
class Target:
    kind: str  # "lambda-url" | "api" | "alb" | "cloudfront" | "s3" | "other"
    resource: Resource | None  # the Url / Api / DomainName / Distribution, when in the app

    @property
    def renders_per_user(self) -> bool:
        return self.kind in ("lambda-url", "api", "alb")


def find(app: App, logical_id: str, types: tuple[str, ...], near: Stack | None) -> Resource | None:
    """A resource by logical id (placeholders carry one), preferring the caller's stack."""
    stacks = sorted(app.stacks, key=lambda s: s is not near)
    for stack in stacks:
        body = stack.resources.get(logical_id)
        if isinstance(body, dict) and body.get("Type") in types:
            return app.resource(stack, logical_id)
    return None


def resolve_host(app: App, host: str, near: Stack | None, depth: int = 0) -> Target:
    h = hostname(host)
    placeholder = PLACEHOLDER.search(host)
    lid = placeholder.group(1) if placeholder else ""
    if ".lambda-url." in h:
        return Target("lambda-url", find(app, lid, ("AWS::Lambda::Url",), near))
    if ".execute-api." in h:
        return Target("api", find(app, lid, API_TYPES + DOMAIN_TYPES, near))
    if h.endswith(".elb.amazonaws.com"):
        return Target("alb", find(app, lid, ("AWS::ElasticLoadBalancingV2::LoadBalancer",), near))
    if h.endswith(".cloudfront.net"):
        return Target("cloudfront", find(app, lid, ("AWS::CloudFront::Distribution",), near))
    if ".s3." in h and h.endswith(".amazonaws.com"):
        return Target("s3", None)
    for domain in app.resources(*DOMAIN_TYPES):
        if hostname(str(app.resolve(domain.stack, domain.properties.get("DomainName")))) == h:
            return Target("api", domain)
    if depth < 4:
        for record in records_named(app, h):
            for value in record_values(app, record):
                target = resolve_host(app, value, record.stack, depth + 1)
                if target.kind != "other":
                    return target
    return Target("other", None)


def records_named(app: App, name: str) -> Iterator[Resource]:
    for record in app.resources("AWS::Route53::RecordSet"):
        if hostname(str(app.resolve(record.stack, record.properties.get("Name")))) == name:
            yield record


def record_values(app: App, record: Resource) -> list[str]:
    alias = record.properties.get("AliasTarget")
    raw: list[Any] = (
        [path(alias, "DNSName")] if alias else as_list(record.properties.get("ResourceRecords"))
    )
    values = [app.resolve(record.stack, v) for v in raw]
    return [v for v in values if isinstance(v, str)]


def apis_behind(app: App, resource: Resource) -> list[Resource]:
    """The APIs a custom domain maps to (or the API itself)."""
    if resource.type in API_TYPES:
        return [resource]
    apis = []
    for mapping in app.resources(
        "AWS::ApiGatewayV2::ApiMapping", "AWS::ApiGateway::BasePathMapping"
    ):
        if mapping.stack is not resource.stack:
            continue
        domain = app.target(mapping.stack, mapping.properties.get("DomainName"))
        named = app.resolve(mapping.stack, mapping.properties.get("DomainName"))
        own = app.resolve(resource.stack, resource.properties.get("DomainName"))
        if (domain and domain.logical_id == resource.logical_id) or named == own:
            api_ref = mapping.properties.get("ApiId") or mapping.properties.get("RestApiId")
            api = app.target(mapping.stack, api_ref)
            if api is not None:
                apis.append(api)
    return apis


def stages_of(app: App, api: Resource) -> list[Resource]:
    stages = []
    for stage in app.resources("AWS::ApiGatewayV2::Stage", "AWS::ApiGateway::Stage"):
        ref = stage.properties.get("ApiId") or stage.properties.get("RestApiId")
        target = app.target(stage.stack, ref) if stage.stack is api.stack else None
        if target is not None and target.logical_id == api.logical_id:
            stages.append(stage)
    return stages


def throttled(app: App, api: Resource) -> bool:
    for stage in stages_of(app, api):
        props = app.resolve(stage.stack, stage.properties)
        if path(props, "DefaultRouteSettings", "ThrottlingRateLimit") is not None:
            return True
        if any(
            isinstance(s, dict) and s.get("ThrottlingRateLimit") is not None
            for s in as_list(props.get("MethodSettings"))
            + list((props.get("RouteSettings") or {}).values())
        ):
            return True
    return any(
        path(plan.properties, "Throttle") is not None
        for plan in app.resources("AWS::ApiGateway::UsagePlan")
        if plan.stack is api.stack
    )
