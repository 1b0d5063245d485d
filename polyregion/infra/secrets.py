"""Secrets unit: the session signing secret and the origin verification value, both created in
the primary and replicated.

Replicas keep the same name in every region (regional ARN), so the app asks for
`naming.session_secret()` in its own region and never crosses an ocean to verify a cookie.
The origin verification value is also replicated to us-east-1 (the edge stack's region) when
that is not an app region: the distribution reads it through a CloudFormation dynamic
reference, which resolves by name in the stack's own region.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from polyregion.infra.tidy import depend_only_on_default_policy
from polyregion.topology import naming
from polyregion.topology.model import Topology

EDGE_REGION = "us-east-1"  # where the edge stack lives (CloudFront certificates): stacks.py


class SessionSecret(Construct):
    def __init__(self, scope: Construct, id: str, *, topology: Topology) -> None:
        super().__init__(scope, id)
        self.secret_name = naming.session_secret(topology)
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            secret_name=self.secret_name,
            description=f"{topology.name}: HS256 key signing session cookies in every region",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            replica_regions=[
                secretsmanager.ReplicaRegion(region=r.name) for r in topology.secondaries
            ],
            # Deleting it signs every user out everywhere: keep it when the stack goes.
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.rotation: lambda_.Function | None = None
        if topology.session.rotation_days is not None:
            self.rotation = self._rotation(topology.session.rotation_days)

    def _rotation(self, days: int) -> lambda_.Function:
        """A small inline function (rotation_handler.py) on the session.rotation_days schedule."""
        from polyregion.infra.regional import RUNTIME

        role = iam.Role(
            self,
            "RotationRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Rotates the session signing key",
            inline_policies={
                "rotate": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            actions=[
                                "secretsmanager:DescribeSecret",
                                "secretsmanager:GetSecretValue",
                                "secretsmanager:PutSecretValue",
                                "secretsmanager:UpdateSecretVersionStage",
                            ],
                            resources=[self.secret.secret_arn],
                        ),
                        # GetRandomPassword has no resource: IAM only accepts "*".
                        iam.PolicyStatement(
                            actions=["secretsmanager:GetRandomPassword"], resources=["*"]
                        ),
                    ]
                )
            },
        )
        log_group = logs.LogGroup(
            self, "RotationLogs", retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        )  # fmt: skip
        log_group.grant_write(role)
        source = Path(__file__).with_name("rotation_handler.py").read_text(encoding="utf-8")
        function = lambda_.Function(
            self,
            "Rotation",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler="index.handler",
            code=lambda_.Code.from_inline(source),
            timeout=Duration.seconds(30),
            role=role,
            log_group=log_group,
            description="Rotates the session signing key (AWSCURRENT -> AWSPREVIOUS)",
        )
        depend_only_on_default_policy(function)  # cfn-lint W3005 (tidy.py)
        self.secret.add_rotation_schedule(
            "Schedule", rotation_lambda=function, automatically_after=Duration.days(days)
        )
        self.rotation_role = role
        return function


def origin_verify_regions(topology: Topology) -> list[str]:
    """Replica regions of the origin verification secret: every app region but the primary,
    and the edge stack's region so its dynamic reference resolves there."""
    regions = [r.name for r in topology.secondaries]
    if EDGE_REGION not in topology.region_names:
        regions.append(EDGE_REGION)
    return regions


class OriginVerifySecret(Construct):
    """The value CloudFront sends in `origin.verify_header` and the app checks (origin_guard).

    Not rotated on a schedule: CloudFront only sends a new value once the edge stack is
    redeployed with its `OriginVerifyVersion` parameter, and a second scheduled rotation
    before that would leave CloudFront's value neither current nor previous. Rotation is a
    two-step operation (docs/infrastructure.md): put a new value, then redeploy the edge.
    """

    def __init__(self, scope: Construct, id: str, *, topology: Topology) -> None:
        super().__init__(scope, id)
        self.secret_name = naming.origin_verify_secret(topology)
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            secret_name=self.secret_name,
            description=(
                f"{topology.name}: value of the {topology.origin.verify_header} header "
                "CloudFront sends to the regional origins"
            ),
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            replica_regions=[
                secretsmanager.ReplicaRegion(region=r) for r in origin_verify_regions(topology)
            ],
            # Deleting it while the distribution still sends it would lock every user out.
            removal_policy=RemovalPolicy.RETAIN,
        )
