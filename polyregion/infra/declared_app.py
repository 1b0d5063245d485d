"""An app of your own in a regional stack: its function (AppFunction), its contract
environment and IAM for exactly what the topology declares.

IAM, per region:
- each global table: item reads and writes in *this* region's replica (and its declared
  indexes, by name); the
  other regions' replicas only with `[app.lambda] cross_region_reads = true`, and then only
  GetItem (the kit's read-your-writes fallback: a strong read in the region that wrote);
- each regional table: the same, in this region only;
- each bucket: ListBucket (HeadBucket in health checks needs it) and object reads/writes/deletes
  on this region's bucket; with `cross_region_reads`, ListBucket and GetObject on the other
  regions' replicas of the global buckets (an object CRR has not brought here yet; ListBucket
  makes a missing key NoSuchKey rather than AccessDenied);
- the session and origin-verify secrets: GetSecretValue on this region's replicas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from constructs import Construct

from polyregion.infra.app_function import AppFunction, function_role
from polyregion.topology import naming
from polyregion.topology.model import Topology

ITEM_ACTIONS: Final = (
    "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
    "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
)  # fmt: skip
OBJECT_ACTIONS: Final = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")


def _arn(service: str, region: str, resource: str) -> str:
    return f"arn:{Aws.PARTITION}:{service}:{region}:{Aws.ACCOUNT_ID}:{resource}"


def declared_policy(topology: Topology, *, region: str, account: str) -> list[iam.PolicyStatement]:
    statements: list[iam.PolicyStatement] = []
    for t in topology.tables:
        table = _arn("dynamodb", region, f"table/{naming.table(topology, t.name)}")
        sid = naming.env_key(t.name).title().replace("_", "")
        statements.append(
            iam.PolicyStatement(
                sid=f"Table{sid}",
                actions=list(ITEM_ACTIONS),
                # Each declared index by name: no wildcard where the names are known.
                resources=[table, *[f"{table}/index/{i.name}" for i in t.indexes]],
            )
        )
    for b in topology.buckets:
        bucket = f"arn:{Aws.PARTITION}:s3:::{naming.bucket(topology, region, account, b.name)}"
        sid = naming.env_key(b.name).title().replace("_", "")
        statements += [
            iam.PolicyStatement(sid=f"Bucket{sid}", actions=["s3:ListBucket"], resources=[bucket]),
            iam.PolicyStatement(
                sid=f"Bucket{sid}Objects", actions=list(OBJECT_ACTIONS), resources=[f"{bucket}/*"]
            ),
        ]
    others = [r for r in topology.region_names if r != region]
    if topology.app_lambda.cross_region_reads and others:
        tables = [
            _arn("dynamodb", r, f"table/{naming.table(topology, t.name)}")
            for t in topology.global_tables
            for r in others
        ]
        if tables:
            statements.append(
                iam.PolicyStatement(
                    sid="GlobalTablesOtherReplicasGetItem",
                    actions=["dynamodb:GetItem"],
                    resources=tables,
                )
            )
        buckets = [
            f"arn:{Aws.PARTITION}:s3:::{naming.bucket(topology, r, account, b.name)}"
            for b in topology.global_buckets
            for r in others
        ]
        if buckets:
            statements += [
                iam.PolicyStatement(
                    sid="GlobalBucketsOtherReplicas", actions=["s3:ListBucket"], resources=buckets
                ),
                iam.PolicyStatement(
                    sid="GlobalBucketsOtherReplicasObjects",
                    actions=["s3:GetObject"],
                    resources=[f"{b}/*" for b in buckets],
                ),
            ]
    statements.append(
        iam.PolicyStatement(
            sid="SecretsLocalReplicas",
            actions=["secretsmanager:GetSecretValue"],
            # Secrets Manager appends 6 random characters to the name in the ARN.
            resources=[
                _arn("secretsmanager", region, f"secret:{naming.session_secret(topology)}-??????"),
                _arn(
                    "secretsmanager",
                    region,
                    f"secret:{naming.origin_verify_secret(topology)}-??????",
                ),
            ],
        )
    )
    return statements


class DeclaredApp(Construct):
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
            description=f"{topology.name} in {region}: only what the topology declares",
            statements=declared_policy(topology, region=region, account=account),
        )
        environment = naming.app_environment(topology, region, account=account)
        self.app = AppFunction(
            self,
            "App",
            settings=topology.app_lambda,
            asset_dir=asset_dir,
            environment=environment,
            health_path=topology.health.path,
            role=self.role,
            log_group=self.log_group,
            description=f"{topology.name} in {region}",
        )
        self.function = self.app.function
