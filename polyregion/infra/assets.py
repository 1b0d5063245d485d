"""Assets unit: one bucket per region, replicating to every other region.

Fixes of the seed design (docs/infrastructure.md):
- a rule per *other* region: replication to the bucket's own region would be SRR, not CRR;
- Replication Time Control (15 min SLA) turns replication metrics on; delete markers replicate
  only when the topology says so (version deletes never do);
- the replication role can read this bucket's versions and replicate into the other buckets,
  nothing else (the seed granted `grantRead`/`grantWrite` on whole buckets).

Two deploy-time parameters break the cycles between stacks without cross-region exports:
`Replication` (S3 refuses a rule whose destination bucket does not exist yet, and every bucket
is another's destination: the first deploy creates the buckets with it `disabled`) and
`DistributionId` (the bucket policy lets only our distribution read, through OAC; the edge
stack is deployed after the buckets). `polyregion deploy` passes both (docs/infrastructure.md).
"""

from __future__ import annotations

from aws_cdk import Aws, CfnCondition, CfnParameter, Fn, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from polyregion.infra.static_site import KEY_PREFIX, StaticSite
from polyregion.infra.tidy import tidy_bucket_deployment_handlers
from polyregion.topology import naming
from polyregion.topology.model import BucketSpec, Topology

STATIC_PREFIX = KEY_PREFIX
REPLICATION_ENABLED = "enabled"
NO_DISTRIBUTION = "none"  # parameter default: a bucket policy that lets no distribution read
PARAM_REPLICATION = "Replication"
PARAM_DISTRIBUTION = "DistributionId"
RTC_MINUTES = 15  # the only value S3 Replication Time Control accepts


def bucket_arn(name: str) -> str:
    return f"arn:{Aws.PARTITION}:s3:::{name}"


def assets_spec(topology: Topology) -> BucketSpec:
    """The bundled blog's bucket (static files, covers): its declared settings, or the defaults
    when the topology does not declare it."""
    for spec in topology.buckets:
        if spec.name == naming.ASSETS_BUCKET:
            return spec
    return BucketSpec(name=naming.ASSETS_BUCKET)


class ReplicatedBucket(Construct):
    """One declared bucket in one region: versioned, private, TLS-only, retained, replicating to
    the bucket of the same name in every other region once replication is switched on."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        topology: Topology,
        region: str,
        account: str,
        spec: BucketSpec,
    ) -> None:
        super().__init__(scope, id)
        self.spec = spec
        self.bucket_name = naming.bucket(topology, region, account, spec.name)
        # region -> bucket name of every *other* region: CRR needs another region.
        self.destinations = {
            r: naming.bucket(topology, r, account, spec.name)
            for r in topology.region_names
            if r != region
        }
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=self.bucket_name,
            versioned=True,  # required by replication, on both sides
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.replication_role = self._replication_role()

    def _replication_role(self) -> iam.Role:
        source = bucket_arn(self.bucket_name)
        replicate = ["s3:ReplicateObject", "s3:ReplicateTags"]
        if self.spec.replicate_deletes:
            replicate.append("s3:ReplicateDelete")  # delete markers
        statements = [
            iam.PolicyStatement(
                actions=["s3:GetReplicationConfiguration", "s3:ListBucket"],
                resources=[source],
            ),
            iam.PolicyStatement(
                actions=[
                    "s3:GetObjectVersionForReplication",
                    "s3:GetObjectVersionAcl",
                    "s3:GetObjectVersionTagging",
                ],
                resources=[f"{source}/*"],
            ),
        ]
        if self.destinations:
            statements.append(
                iam.PolicyStatement(
                    actions=replicate,
                    resources=[f"{bucket_arn(d)}/*" for d in self.destinations.values()],
                )
            )
        return iam.Role(
            self,
            "ReplicationRole",
            # Exactly AWS's documented trust policy (S3 User Guide, "Setting up permissions for
            # live replication"): no aws:SourceAccount condition, which no page says S3 sends
            # when it assumes a replication role; a condition it never sends would stop
            # replication silently.
            assumed_by=iam.ServicePrincipal("s3.amazonaws.com"),
            description=(
                f"S3 cross-region replication of the {self.spec.name} bucket, to the other regions"
            ),
            inline_policies={"replicate": iam.PolicyDocument(statements=statements)},
        )

    def replicate(self, enabled: CfnCondition) -> None:
        """Replication rules to every other region, applied while `enabled` holds."""
        if not self.destinations:
            return  # a single region replicates nowhere
        settings = self.spec
        rules = []
        for priority, (region, destination) in enumerate(self.destinations.items(), start=1):
            dest: dict[str, object] = {"Bucket": bucket_arn(destination)}
            if settings.replication_time_control:
                dest["ReplicationTime"] = {"Status": "Enabled", "Time": {"Minutes": RTC_MINUTES}}
                dest["Metrics"] = {"Status": "Enabled", "EventThreshold": {"Minutes": RTC_MINUTES}}
            rules.append(
                {
                    "Id": f"to-{region}",
                    "Status": "Enabled",
                    "Priority": priority,
                    "Filter": {"Prefix": ""},
                    "DeleteMarkerReplication": {
                        "Status": "Enabled" if settings.replicate_deletes else "Disabled"
                    },
                    "Destination": dest,
                }
            )
        cfn = self.bucket.node.default_child
        assert isinstance(cfn, s3.CfnBucket)
        cfn.add_property_override(
            "ReplicationConfiguration",
            Fn.condition_if(
                enabled.logical_id,
                {"Role": self.replication_role.role_arn, "Rules": rules},
                Aws.NO_VALUE,
            ),
        )


class AssetsBucket(ReplicatedBucket):
    """This region's `assets` bucket (declared or not: the static files live in it), its
    replication, the stack's `Replication` and `DistributionId` parameters, the static files."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        topology: Topology,
        region: str,
        account: str,
        static: StaticSite | None = None,
    ) -> None:
        super().__init__(
            scope, id, topology=topology, region=region, account=account,
            spec=assets_spec(topology),
        )  # fmt: skip
        self.replication_param = CfnParameter(
            self,
            "Replication",
            type="String",
            allowed_values=[REPLICATION_ENABLED, "disabled"],
            default="disabled",
            description="Cross-region replication rules: enable once every region's bucket exists",
        )
        self.distribution_param = CfnParameter(
            self,
            "DistributionId",
            type="String",
            allowed_pattern="^[A-Z0-9]+$|^none$",
            default=NO_DISTRIBUTION,
            description="The CloudFront distribution allowed to read static files (OAC)",
        )
        # Stable names: `polyregion deploy` passes them as --parameters <stack>:<name>=...
        self.replication_param.override_logical_id(PARAM_REPLICATION)
        self.distribution_param.override_logical_id(PARAM_DISTRIBUTION)
        # The condition every bucket of the stack replicates under (none with one region).
        self.replication_enabled: CfnCondition | None = None
        if self.destinations:
            self.replication_enabled = CfnCondition(
                self,
                "ReplicationEnabled",
                expression=Fn.condition_equals(
                    self.replication_param.value_as_string, REPLICATION_ENABLED
                ),
            )
            self.replication_enabled.override_logical_id("ReplicationEnabled")
            self.replicate(self.replication_enabled)
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudFrontOacReadsStaticFiles",
                principals=[iam.ServicePrincipal("cloudfront.amazonaws.com")],
                actions=["s3:GetObject"],
                resources=[f"{bucket_arn(self.bucket_name)}/{STATIC_PREFIX}*"],
                conditions={
                    "StringEquals": {
                        "AWS:SourceArn": Fn.sub(
                            "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/"
                            "${Id}",
                            {"Id": self.distribution_param.value_as_string},
                        )
                    }
                },
            )
        )
        self.static_deployments: list[s3deploy.BucketDeployment] = []
        # Every region gets the files directly: replication is off on the first deploy, and
        # the failover origin must hold them before the primary ever fails.
        for i, upload in enumerate(static.uploads if static else ()):
            self.static_deployments.append(
                s3deploy.BucketDeployment(
                    self,
                    "StaticFiles" if i == 0 else f"StaticFiles{i}",
                    sources=[s3deploy.Source.asset(str(upload.directory))],
                    destination_bucket=self.bucket,
                    destination_key_prefix=STATIC_PREFIX + upload.prefix,
                    prune=False,  # pages still in caches reference older content hashes
                    cache_control=[s3deploy.CacheControl.from_string(upload.cache_control)],
                    memory_limit=256,
                )
            )
        if self.static_deployments:
            tidy_bucket_deployment_handlers(self)  # cfn-lint W3005 (tidy.py)


class AppBucket(ReplicatedBucket):
    """Any other declared bucket (`[[buckets]]`): the app's own data, replicated as declared,
    read and written only by the app's role (declared_app.py), never by CloudFront."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        topology: Topology,
        region: str,
        account: str,
        spec: BucketSpec,
        replication_enabled: CfnCondition | None,
    ) -> None:
        super().__init__(scope, id, topology=topology, region=region, account=account, spec=spec)
        if replication_enabled is not None:
            self.replicate(replication_enabled)
