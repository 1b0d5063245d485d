"""Regional unit: the SSR Lambda and the regional origin CloudFront reaches over TLS.

The origin is an API Gateway HTTP API with two regional custom domains per region:
`origin.<domain>` (latency-routed; what CloudFront connects to, so the TLS name and the Host
header match) and `<region>.origin.<domain>` (reaches this region only; what Route 53
health-checks). An ACM certificate in the region covers both. Why not a function URL: a public
unauthenticated one is an open door that bypasses CloudFront, and with OAC (AWS_IAM) every POST
must carry `x-amz-content-sha256`, which browsers' form posts do not; nor can a function URL
carry a custom hostname, so latency routing of one origin name across regions is impossible.
The default `execute-api` endpoint is disabled: only the two names above reach the function.
Those names are public DNS, so the app refuses requests without CloudFront's secret origin
header (app/origin_guard.py; the health path excepted), and the stage is throttled
(`origin.throttle_rate` / `throttle_burst`).
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from constructs import Construct

from polyregion.infra.app_function import function_role
from polyregion.infra.tidy import depend_only_on_default_policy
from polyregion.kit.env import ORIGIN_VERIFY_SECRET as ENV_ORIGIN_VERIFY_SECRET
from polyregion.topology import naming
from polyregion.topology.model import Topology

HANDLER = "blog.lambda_handler.handler"  # examples/blog, copied into the asset (package.py)
AUDIT_DATA_CLASS = naming.AUDIT_TABLE  # the blog's regional table
RUNTIME = lambda_.Runtime.PYTHON_3_14
ASSET_CONFIG = "polyregion.toml"  # the asset ships the topology file at its root
LAMBDA_TASK_ROOT = "/var/task"
MEMORY_MB = 1024
TIMEOUT_S = 30  # also API Gateway's integration limit


def arn(service: str, region: str, resource: str) -> str:
    return f"arn:{Aws.PARTITION}:{service}:{region}:{Aws.ACCOUNT_ID}:{resource}"


def app_policy(topology: Topology, *, region: str, account: str) -> list[iam.PolicyStatement]:
    """Exactly the calls the app makes (examples/blog, polyregion/data), nothing more."""
    blog = topology.table(naming.BLOG_TABLE)  # the bundled blog's single table
    table = naming.table(topology, blog.name)
    local_table = arn("dynamodb", region, f"table/{table}")
    statements = [
        # posts/users/drill records: reads, GSI queries, puts, transactions (TransactWriteItems is
        # authorized per item as PutItem), optimistic updates; health: GetItem.
        iam.PolicyStatement(
            sid="GlobalTableLocalReplica",
            actions=[
                "dynamodb:GetItem",
                "dynamodb:Query",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
            ],
            resources=[local_table],
        ),
        iam.PolicyStatement(
            sid="GlobalTableIndexes",
            actions=["dynamodb:Query"],
            resources=[f"{local_table}/index/{i.name}" for i in blog.indexes],
        ),
    ]
    others = [r for r in topology.region_names if r != region]
    if others:
        # Read-your-writes: a strong GetItem against the region that wrote (docs/app.md).
        statements.append(
            iam.PolicyStatement(
                sid="GlobalTableWriteRegionReads",
                actions=["dynamodb:GetItem"],
                resources=[arn("dynamodb", r, f"table/{table}") for r in others],
            )
        )
    if any(t.name == AUDIT_DATA_CLASS for t in topology.regional_tables):
        statements.append(
            iam.PolicyStatement(
                sid="RegionalAuditTable",
                actions=["dynamodb:PutItem", "dynamodb:Query"],
                resources=[
                    arn(
                        "dynamodb",
                        region,
                        f"table/{naming.table(topology, AUDIT_DATA_CLASS)}",
                    )
                ],
            )
        )
    own = f"arn:{Aws.PARTITION}:s3:::{naming.bucket(topology, region, account)}"
    statements += [
        # HeadBucket (health) is authorized as s3:ListBucket; without it the check is a 403.
        iam.PolicyStatement(sid="OwnBucket", actions=["s3:ListBucket"], resources=[own]),
        iam.PolicyStatement(
            sid="OwnBucketCovers",
            actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            resources=[f"{own}/covers/*"],
        ),
    ]
    if others:
        buckets = [
            f"arn:{Aws.PARTITION}:s3:::{naming.bucket(topology, r, account)}" for r in others
        ]
        # Cover fallback while CRR lags: GetObject; ListBucket so a missing key is NoSuchKey
        # (what the app handles) rather than AccessDenied.
        statements += [
            iam.PolicyStatement(
                sid="OtherBucketsList", actions=["s3:ListBucket"], resources=buckets
            ),
            iam.PolicyStatement(
                sid="OtherBucketsCovers",
                actions=["s3:GetObject"],
                resources=[f"{b}/covers/*" for b in buckets],
            ),
        ]
    statements.append(
        iam.PolicyStatement(
            sid="SessionSecretLocalReplica",
            actions=["secretsmanager:GetSecretValue"],
            # Secrets Manager appends 6 random characters to the name in the ARN.
            resources=[
                arn("secretsmanager", region, f"secret:{naming.session_secret(topology)}-??????")
            ],
        )
    )
    statements.append(
        iam.PolicyStatement(
            sid="OriginVerifySecretLocalReplica",
            actions=["secretsmanager:GetSecretValue"],
            resources=[
                arn(
                    "secretsmanager",
                    region,
                    f"secret:{naming.origin_verify_secret(topology)}-??????",
                )
            ],
        )
    )
    return statements


class SsrFunction(Construct):
    """The regional app on Lambda (ARM64, Python, Mangum), with a role of exact permissions."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        topology: Topology,
        region: str,
        account: str,
        asset_dir: Path,
    ) -> None:
        super().__init__(scope, id)
        self.log_group, self.role = function_role(
            self,
            description=f"{topology.name} SSR in {region}: only the calls the app makes",
            statements=app_policy(topology, region=region, account=account),
        )
        self.bucket_name = naming.bucket(topology, region, account)
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=HANDLER,
            code=lambda_.Code.from_asset(str(asset_dir)),
            memory_size=MEMORY_MB,
            timeout=Duration.seconds(TIMEOUT_S),
            role=self.role,
            log_group=self.log_group,
            description=f"{topology.name} server-side rendering in {region}",
            # AWS_REGION is set by Lambda (reserved): the app reads its region from it.
            environment={
                "POLYREGION_CONFIG": f"{LAMBDA_TASK_ROOT}/{ASSET_CONFIG}",
                "POLYREGION_BUCKET": self.bucket_name,
                "POLYREGION_ACCOUNT_ID": account,
                "POLYREGION_SECURE_COOKIES": "1",
                # Requests without CloudFront's secret header get 403 (app/origin_guard.py).
                ENV_ORIGIN_VERIFY_SECRET: naming.origin_verify_secret(topology),
            },
        )
        depend_only_on_default_policy(self.function)  # cfn-lint W3005 (tidy.py)


class RegionalOrigin(Construct):
    """HTTP API in front of the function, reachable only on its two TLS custom domains."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        topology: Topology,
        region: str,
        function: lambda_.IFunction,
        zone: route53.IHostedZone,
    ) -> None:
        super().__init__(scope, id)
        self.shared_hostname = topology.origin_hostname
        self.region_hostname = naming.region_origin_hostname(topology, region)
        self.certificate = acm.Certificate(
            self,
            "Certificate",
            domain_name=self.shared_hostname,
            subject_alternative_names=[self.region_hostname],
            validation=acm.CertificateValidation.from_dns(zone),
        )
        self.api = apigw.HttpApi(
            self,
            "Api",
            description=f"{topology.name} origin in {region}",
            default_integration=integrations.HttpLambdaIntegration("Ssr", function),
            disable_execute_api_endpoint=True,
        )
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        )  # fmt: skip
        stage = self.api.default_stage
        assert stage is not None
        cfn_stage = stage.node.default_child
        assert isinstance(cfn_stage, apigw.CfnStage)
        # Throttling of every route (HTTP APIs cannot have AWS WAF): bounds what a flood that
        # bypasses CloudFront - refused by the app with 403, but still invoking it - can cost.
        cfn_stage.default_route_settings = apigw.CfnStage.RouteSettingsProperty(
            throttling_rate_limit=topology.origin.throttle_rate,
            throttling_burst_limit=topology.origin.throttle_burst,
        )
        cfn_stage.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(
            destination_arn=self.access_logs.log_group_arn,
            format=(
                '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
                '"host":"$context.domainName","method":"$context.httpMethod",'
                '"path":"$context.path","status":"$context.status",'
                '"latencyMs":"$context.responseLatency"}'
            ),
        )
        self.domains: dict[str, apigw.DomainName] = {}
        for key, hostname in (("Shared", self.shared_hostname), ("Region", self.region_hostname)):
            domain = apigw.DomainName(
                self,
                f"{key}Domain",
                domain_name=hostname,
                certificate=self.certificate,
                security_policy=apigw.SecurityPolicy.TLS_1_2,
            )
            apigw.ApiMapping(self, f"{key}Mapping", api=self.api, domain_name=domain, stage=stage)
            self.domains[hostname] = domain

    @property
    def shared_domain(self) -> apigw.DomainName:
        return self.domains[self.shared_hostname]

    @property
    def region_domain(self) -> apigw.DomainName:
        return self.domains[self.region_hostname]
