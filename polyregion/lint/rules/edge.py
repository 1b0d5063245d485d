"""Edge rules: CloudFront distributions and the Route 53 names in front of them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from polyregion.lint.graph import CLOUDFRONT_ZONE, App, Resource, Unresolved
from polyregion.lint.model import Severity
from polyregion.lint.rules.base import Context, Hit, as_list, hostname, path, rule
from polyregion.lint.rules.hosts import PLACEHOLDER, Target, find, record_values, resolve_host

# Managed policies by id: whether cookies are in the cache key / sent to the origin.
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
CACHE_POLICIES_WITH_COOKIES = {
    "2e54312d-136d-493c-8eb9-b001f22f67d2",  # Amplify
    "83da9c7e-98b4-4e11-a168-04f0df8e2c65",  # UseOriginCacheControlHeaders
    "4cc15a8a-d715-48a4-82b8-cc0b614638fe",  # UseOriginCacheControlHeaders-QueryStrings
}
ORIGIN_REQUEST_POLICIES_WITH_COOKIES = {
    "216adef6-5c7f-47e4-b989-5492eafa07d3",  # AllViewer
    "b689b0a8-53d0-40ab-baf2-68738e2966ac",  # AllViewerExceptHostHeader
    "33f36d7e-f396-46d9-90e0-52428a34d9dc",  # AllViewerAndCloudFrontHeaders-2022-06
}
MANAGED_WITHOUT_COOKIES = {
    "658327ea-f89d-4fab-a63d-7e88639e58f6",  # CachingOptimized
    "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",  # CachingDisabled
    "b2884449-e4de-46a7-ac36-70bc7f1ddd6d",  # CachingOptimizedForUncompressedObjects
    "08627262-05a9-4f76-9ded-b50ca2e3a84f",  # Elemental-MediaPackage
    "acba4595-bd28-49b8-b9fe-13317c0390fa",  # UserAgentRefererHeaders
    "59781a5b-3903-41f3-afcb-af62929ccde1",  # CORS-CustomOrigin
    "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",  # CORS-S3Origin
}


def distribution_config(app: App, distribution: Resource) -> dict[str, Any]:
    config = app.resolve(distribution.stack, distribution.properties.get("DistributionConfig"))
    return config if isinstance(config, dict) else {}


def aliases(app: App, distribution: Resource) -> list[str | Unresolved]:
    names = distribution_config(app, distribution).get("Aliases")
    return [n if isinstance(n, Unresolved) else hostname(str(n)) for n in as_list(names)]


def routing_policy(record: Resource) -> str | None:
    props = record.properties
    for key, policy in (("Region", "latency"), ("Failover", "failover"), ("Weight", "weighted")):
        if key in props:
            return policy
    if "GeoLocation" in props or "GeoProximityLocation" in props:
        return "geolocation"
    return None


def cloudfront_target(app: App, record: Resource) -> Target | None:
    """The distribution a record points at: by alias zone (Z2FDTNDATAQYW2) or by hostname."""
    alias = record.properties.get("AliasTarget")
    zone = app.resolve(record.stack, path(alias, "HostedZoneId")) if alias else None
    for value in record_values(app, record):
        target = resolve_host(app, value, record.stack)
        if target.kind == "cloudfront":
            return target
    return Target("cloudfront", None) if zone == CLOUDFRONT_ZONE else None


@rule(
    "EDGE1",
    area="edge",
    severity=Severity.ERROR,
    title="The same alternate domain name on more than one CloudFront distribution",
    fix="Keep one distribution per hostname; route between regions at its origin (a latency-"
    "routed origin hostname with health checks), not between distributions.",
    reference="https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/alternate-domain-names-move.html",
    pack=False,
)
def duplicate_alias(ctx: Context) -> Iterator[Hit]:
    owners: dict[str, list[Resource]] = defaultdict(list)
    for distribution in ctx.app.resources("AWS::CloudFront::Distribution"):
        for name in aliases(ctx.app, distribution):
            if isinstance(name, Unresolved):
                ctx.note(distribution, "EDGE1", name)
            else:
                owners[name].append(distribution)
    for name, distributions in owners.items():
        if len(distributions) < 2:
            continue
        for d in distributions:
            others = ", ".join(
                f"{o.stack.name}/{o.logical_id}" for o in distributions if o is not d
            )
            yield Hit(
                d,
                f"alternate domain name {name} is also on {others}: CloudFront accepts a name on "
                "one distribution only (CNAMEAlreadyExists), so the later stack fails to deploy",
            )


@rule(
    "EDGE2",
    area="edge",
    severity=Severity.ERROR,
    title="A Route 53 alias to a distribution that does not list the record's name",
    fix="Add the record's name to the distribution's Aliases (with a certificate covering it), "
    "or point the record at the distribution that serves that name.",
    reference="https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-values-alias-common.html",
    pack=False,
)
def alias_not_listed(ctx: Context) -> Iterator[Hit]:
    for record in ctx.app.resources("AWS::Route53::RecordSet"):
        if "AliasTarget" not in record.properties:
            continue
        target = cloudfront_target(ctx.app, record)
        if target is None:
            continue
        name = ctx.app.resolve(record.stack, record.properties.get("Name"))
        if not isinstance(name, str):
            ctx.note(record, "EDGE2", name if isinstance(name, Unresolved) else "record name")
            continue
        if target.resource is None:
            ctx.note(record, "EDGE2", "the alias target is a distribution outside these stacks")
            continue
        listed = aliases(ctx.app, target.resource)
        if any(isinstance(a, Unresolved) for a in listed):
            ctx.note(record, "EDGE2", "the distribution's aliases are not resolvable")
        elif hostname(name) not in listed:
            yield Hit(
                record,
                f"{hostname(name)} aliases to {target.resource.stack.name}/"
                f"{target.resource.logical_id}, whose alternate domain names are "
                f"{', '.join(str(a) for a in listed) or 'none'}: CloudFront answers requests for "
                "that Host with 403 (or they reach another account's distribution)",
            )


@rule(
    "EDGE3",
    area="edge",
    severity=Severity.ERROR,
    title="Latency/failover/weighted records whose targets are CloudFront distributions",
    fix="Use one distribution with a simple alias record; put the latency (or failover) records "
    "with health checks on the origin hostname the distribution fetches from.",
    reference="https://aws.amazon.com/blogs/networking-and-content-delivery/latency-based-routing-leveraging-amazon-cloudfront-for-a-multi-region-active-active-architecture/",
    pack=True,
)
def routed_to_cloudfront(ctx: Context) -> Iterator[Hit]:
    for record in ctx.app.resources("AWS::Route53::RecordSet"):
        policy = routing_policy(record)
        if policy is None or cloudfront_target(ctx.app, record) is None:
            continue
        yield Hit(
            record,
            f"{policy} record targets a CloudFront distribution: CloudFront is global and "
            "dispatches by Host, so per-region distributions for one name cannot exist and "
            "the routing never reaches a region; it belongs at the origin",
        )


def _cookies_kept(app: App, distribution: Resource, behavior: dict[str, Any]) -> bool | None:
    """Whether cookies (or Authorization) reach the origin; None when undecidable."""
    legacy = behavior.get("ForwardedValues")
    if isinstance(legacy, dict):
        cookies = path(legacy, "Cookies", "Forward")
        headers = [str(h).lower() for h in as_list(legacy.get("Headers"))]
        return cookies in ("all", "whitelist") or "authorization" in headers or "*" in headers
    cache = _policy_keeps_cookies(
        app, distribution, behavior.get("CachePolicyId"), "AWS::CloudFront::CachePolicy"
    )
    request = _policy_keeps_cookies(
        app,
        distribution,
        behavior.get("OriginRequestPolicyId"),
        "AWS::CloudFront::OriginRequestPolicy",
    )
    if cache or request:
        return True
    return None if cache is None or request is None else False


def _policy_keeps_cookies(
    app: App, distribution: Resource, policy_id: Any, kind: str
) -> bool | None:
    if policy_id is None and kind.endswith("OriginRequestPolicy"):
        return False  # no origin request policy: only what the cache key holds is sent
    if not isinstance(policy_id, str):
        return None
    if policy_id in CACHE_POLICIES_WITH_COOKIES | ORIGIN_REQUEST_POLICIES_WITH_COOKIES:
        return True
    if policy_id in MANAGED_WITHOUT_COOKIES:
        return False
    found = PLACEHOLDER.search(policy_id)
    custom = find(app, found.group(1), (kind,), distribution.stack) if found else None
    if custom is None:
        return None  # a policy defined outside these templates
    config = app.resolve(custom.stack, custom.properties)
    if kind.endswith("CachePolicy"):
        params = path(config, "CachePolicyConfig", "ParametersInCacheKeyAndForwardedToOrigin")
        headers = [str(h).lower() for h in as_list(path(params, "HeadersConfig", "Headers"))]
        cookies = path(params, "CookiesConfig", "CookieBehavior")
        return cookies not in (None, "none") or "authorization" in headers
    cookies = path(config, "OriginRequestPolicyConfig", "CookiesConfig", "CookieBehavior")
    return cookies not in (None, "none")


def behaviors(config: dict[str, Any]) -> list[dict[str, Any]]:
    found = [config.get("DefaultCacheBehavior"), *as_list(config.get("CacheBehaviors"))]
    return [b for b in found if isinstance(b, dict)]


def origin_targets(
    app: App, distribution: Resource, config: dict[str, Any], origin_id: Any
) -> list[tuple[dict[str, Any], Target]]:
    """(origin, what its host is) for a behavior's TargetOriginId; origin groups expand."""
    origins = {o.get("Id"): o for o in as_list(config.get("Origins")) if isinstance(o, dict)}
    ids = [origin_id]
    for group in as_list(path(config, "OriginGroups", "Items")):
        if isinstance(group, dict) and group.get("Id") == origin_id:
            ids = [
                m.get("OriginId")
                for m in as_list(path(group, "Members", "Items"))
                if isinstance(m, dict)
            ]
    out = []
    for oid in ids:
        origin = origins.get(oid)
        domain = origin.get("DomainName") if origin else None
        if isinstance(origin, dict) and isinstance(domain, str):
            out.append((origin, resolve_host(app, domain, distribution.stack)))
    return out


@rule(
    "EDGE4",
    area="edge",
    severity=Severity.ERROR,
    title="Cookies and Authorization kept from a per-user origin",
    fix="On dynamic behaviors use the managed CachingDisabled cache policy with the "
    "AllViewerExceptHostHeader origin request policy (or a cache policy keyed on the session "
    "cookie); cache only static paths.",
    reference="https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html",
    pack=True,
)
def cookies_dropped(ctx: Context) -> Iterator[Hit]:
    for distribution in ctx.app.resources("AWS::CloudFront::Distribution"):
        config = distribution_config(ctx.app, distribution)
        for behavior in behaviors(config):
            targets = origin_targets(ctx.app, distribution, config, behavior.get("TargetOriginId"))
            dynamic = [t for _, t in targets if t.renders_per_user]
            if not dynamic:
                continue
            kept = _cookies_kept(ctx.app, distribution, behavior)
            if kept is None:
                ctx.note(distribution, "EDGE4", "cache/origin request policy not resolvable")
            elif not kept:
                where = behavior.get("PathPattern", "default behavior")
                yield Hit(
                    distribution,
                    f"{where}: the origin is a {dynamic[0].kind} (renders per user) but neither "
                    "the cache policy nor the origin request policy passes cookies or "
                    "Authorization: every user arrives signed out, and a cached page is served "
                    "to everyone",
                )
