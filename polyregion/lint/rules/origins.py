"""Origin rules: what a CloudFront origin lets through when someone skips CloudFront."""

from __future__ import annotations

from collections.abc import Iterator

from polyregion.lint.model import Severity
from polyregion.lint.rules.base import Context, Hit, as_list, rule
from polyregion.lint.rules.edge import distribution_config
from polyregion.lint.rules.hosts import apis_behind, resolve_host, throttled


@rule(
    "ORIGIN1",
    area="origins",
    severity=Severity.ERROR,
    title="A Lambda function URL with auth NONE used as a CloudFront origin",
    fix="Set the function URL's AuthType to AWS_IAM and attach an origin access control (OAC) "
    "to the origin; or have the function check a secret header that only CloudFront sends.",
    reference="https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-lambda.html",
    pack=True,
)
def public_function_url(ctx: Context) -> Iterator[Hit]:
    for distribution in ctx.app.resources("AWS::CloudFront::Distribution"):
        for origin in as_list(distribution_config(ctx.app, distribution).get("Origins")):
            domain = origin.get("DomainName") if isinstance(origin, dict) else None
            if not isinstance(domain, str):
                continue
            target = resolve_host(ctx.app, domain, distribution.stack)
            if target.kind != "lambda-url":
                continue
            if target.resource is None:
                ctx.note(distribution, "ORIGIN1", f"function URL {domain} is outside these stacks")
                continue
            auth = ctx.app.resolve(
                target.resource.stack, target.resource.properties.get("AuthType")
            )
            if auth == "NONE" and not origin.get("OriginCustomHeaders"):
                yield Hit(
                    distribution,
                    f"origin {origin.get('Id')} is function URL {target.resource.stack.name}/"
                    f"{target.resource.logical_id} with AuthType NONE: anyone can call it "
                    "directly, bypassing CloudFront's WAF, headers and caching",
                )


@rule(
    "ORIGIN2",
    area="origins",
    severity=Severity.WARNING,
    title="A regional API origin with neither a secret header nor throttling",
    fix="Have CloudFront send a secret origin header (OriginCustomHeaders) that the app "
    "checks, and throttle the stage (DefaultRouteSettings / MethodSettings).",
    reference="https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html",
    pack=True,
)
def open_api_origin(ctx: Context) -> Iterator[Hit]:
    for distribution in ctx.app.resources("AWS::CloudFront::Distribution"):
        for origin in as_list(distribution_config(ctx.app, distribution).get("Origins")):
            domain = origin.get("DomainName") if isinstance(origin, dict) else None
            if not isinstance(domain, str) or origin.get("OriginCustomHeaders"):
                continue
            target = resolve_host(ctx.app, domain, distribution.stack)
            if target.kind != "api" or target.resource is None:
                continue
            apis = apis_behind(ctx.app, target.resource)
            if not apis:
                ctx.note(distribution, "ORIGIN2", f"no API found behind {domain}")
            elif not any(throttled(ctx.app, api) for api in apis):
                yield Hit(
                    distribution,
                    f"origin {origin.get('Id')} ({domain}) is an API Gateway endpoint that "
                    "anyone can call directly: no secret header from CloudFront and no stage "
                    "throttling, so a flood bypassing CloudFront reaches the functions",
                )
