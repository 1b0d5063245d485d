"""cdk-nag acknowledgements: each one a deliberate decision, on the narrowest construct, with
the reason a reviewer needs. Anything not listed here fails `polyregion synth` and the tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct

from polyregion.topology import naming
from polyregion.topology.model import Topology

if TYPE_CHECKING:
    from polyregion.infra.app import Stacks

BUCKET_DEPLOYMENT_PREFIX = "Custom::CDKBucketDeployment"
# Wildcard actions of CDK's BucketDeployment handler policy (grantReadWrite + asset read).
BUCKET_DEPLOYMENT_ACTIONS = ("GetObject*", "GetBucket*", "List*", "DeleteObject*", "Abort*")


def ack(scope: IConstruct, rule: str, reason: str) -> None:
    Validations.of(scope).acknowledge(Acknowledgment(id=f"AwsSolutions-{rule}", reason=reason))


def ack_wildcards(scope: IConstruct, findings: list[str], reason: str) -> None:
    """IAM5 is acknowledged per finding (each wildcard named), never as a whole rule."""
    for finding in findings:
        ack(scope, f"IAM5[{finding}]", reason)


def objects(
    topology: Topology, region: str, prefix: str = "", name: str = naming.ASSETS_BUCKET
) -> str:
    """A bucket's object ARN the way cdk-nag prints it (pseudo parameters in <>)."""
    bucket = naming.bucket(topology, region, topology.aws.account or "<AWS::AccountId>", name)
    return f"Resource::arn:<AWS::Partition>:s3:::{bucket}/{prefix}*"


def acknowledge(stacks: Stacks, topology: Topology) -> None:
    session = stacks.secrets.session_secret
    if session.rotation is None:
        ack(
            session.secret,
            "SMG4",
            "Rotation is opt-in (session.rotation_days): rotating signs nobody out since the "
            "app verifies with AWSCURRENT and AWSPREVIOUS, but it is the operator's call.",
        )
    else:
        ack_wildcards(
            session.rotation_role,
            ["Resource::*"],
            "secretsmanager:GetRandomPassword has no resource type: IAM accepts only '*'. "
            "Every other action names the session secret's ARN.",
        )
    ack(
        stacks.secrets.origin_verify.secret,
        "SMG4",
        "Rotated in two steps, not on a schedule: put a new value (the app accepts AWSCURRENT "
        "and AWSPREVIOUS), then redeploy the edge with OriginVerifyVersion so CloudFront sends "
        "it; a scheduled rotation would not update CloudFront (docs/infrastructure.md).",
    )
    for stack in stacks.assets.values():
        assets = stack.assets
        ack(
            assets.bucket,
            "S1",
            "Holds public static files and cover images only; reads come through CloudFront (OAC) "
            "or the app, writes only from the app's role and replication. Server access logs "
            "would need a log bucket per region: add one when an audit requires it.",
        )
        ack_wildcards(
            assets.replication_role,
            [objects(topology, r) for r in topology.region_names],
            "S3 replication acts on object versions of any key: the object ARNs must end in /*; "
            "they name only this bucket (read) and the other regions' buckets (replicate).",
        )
        for spec_name, own_bucket in stack.buckets.items():
            ack(
                own_bucket.bucket,
                "S1",
                "The app's own declared bucket, private and reached only by its role and "
                "replication. Server access logs would need a log bucket per region: add one "
                "when an audit requires it.",
            )
            ack_wildcards(
                own_bucket.replication_role,
                [objects(topology, r, name=spec_name) for r in topology.region_names],
                "S3 replication acts on object versions of any key: the object ARNs must end in "
                "/*; they name only this bucket (read) and its replicas in the other regions.",
            )
        for child in stack.node.children:
            if child.node.id.startswith(BUCKET_DEPLOYMENT_PREFIX):
                # CDK's BucketDeployment singleton that copies the static files in.
                reason = (
                    "CDK-managed BucketDeployment handler (static files upload at deploy time): "
                    "its role, policy and runtime are defined by aws-cdk-lib and scoped to this "
                    "bucket and the CDK asset bucket; it runs only during deployments."
                )
                ack(child, "L1", reason)
                ack(
                    child,
                    "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                    "AWSLambdaBasicExecutionRole]",
                    reason,
                )
                bucket = assets.bucket.node.default_child
                assert bucket is not None
                logical = Stack.of(child).resolve(Stack.of(child).get_logical_id(bucket))  # type: ignore[arg-type]
                ack_wildcards(
                    child,
                    [f"Action::s3:{a}" for a in BUCKET_DEPLOYMENT_ACTIONS]
                    + [
                        f"Resource::<{logical}.Arn>/*",
                        "Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-"
                        f"{topology.aws.account or '<AWS::AccountId>'}-{stack.region}/*",
                    ],
                    reason,
                )
    for regional in stacks.regional.values():
        if topology.app_command is None:
            ack_wildcards(
                regional.ssr.role,
                [objects(topology, r, "covers/") for r in topology.region_names],
                "Cover images are content-addressed keys under covers/ (blog.data.assets): "
                "object permissions must end in covers/*; no other prefix or bucket is reachable.",
            )
        else:
            region = regional.region
            account = topology.aws.account or "<AWS::AccountId>"
            readable = [region]
            if topology.app_lambda.cross_region_reads:
                readable = list(topology.region_names)
            declared = [
                "Resource::arn:<AWS::Partition>:s3:::"
                f"{naming.bucket(topology, r, account, b.name)}/*"
                for b in topology.buckets
                for r in readable
                if r == region or b in topology.global_buckets
            ]
            ack_wildcards(
                regional.app.role,
                declared,
                "An app of your own reads and writes any object of its declared buckets in "
                "this region (and, with "
                "cross_region_reads, reads objects of the global buckets' other replicas); "
                "nothing else (declared_app.py).",
            )
            ack(
                regional.app.function,
                "L1",
                "The runtime is the app's own choice (app.lambda.runtime), matched to the code "
                "it packages; polyregion does not upgrade it behind the app's back.",
            )
        ack(
            regional.origin.api,
            "APIG4",
            "CloudFront cannot sign requests to an HTTP API and Route 53 health checkers carry no "
            "credentials: the app refuses every path but the health check without CloudFront's "
            "secret origin header (origin_guard.py), the stage is throttled, and users are "
            "authenticated by the app (signed sessions + CSRF).",
        )
    if stacks.edge is not None:
        distribution = stacks.edge.edge.distribution
        ack(
            distribution,
            "CFR3",
            "Standard logs need an ACL-enabled log bucket; every dynamic request is already in "
            "the regional API Gateway access logs and static files are immutable.",
        )
        ack(
            distribution,
            "CFR1",
            "A public site for global users: no country is excluded by design.",
        )
        ack(
            distribution,
            "CFR2",
            "WAF is an account-level choice (web ACL cost and rules); attach one with "
            "webAclId when required. The app limits body sizes and validates all input.",
        )
