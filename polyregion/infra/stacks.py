"""The stacks: each unit's constructs placed in a stack with an explicit region.

    <name>-data            primary   global table (replicas in every other region)
    <name>-secrets         primary   session secret, origin verification value (replicated)
    <name>-assets-<r>      each r    the buckets (assets + declared), CRR to the other regions,
                                     static files
    <name>-regional-<r>    each r    regional tables, SSR Lambda, HTTP API origin, DNS records
    <name>-edge            us-east-1 the one distribution, its certificate, app.<domain>

No stack reads another's attributes: names are deterministic (`topology.naming`) and the two
values only known after a deploy travel as parameters of the assets stacks (see assets.py).
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnOutput, Environment, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_route53 as route53
from constructs import Construct

from polyregion.infra.assets import AppBucket, AssetsBucket
from polyregion.infra.data import GlobalTable, RegionalTables, construct_id
from polyregion.infra.declared_app import DeclaredApp
from polyregion.infra.dns import AppAlias, OriginDns
from polyregion.infra.edge import Edge
from polyregion.infra.regional import RegionalOrigin, SsrFunction
from polyregion.infra.secrets import EDGE_REGION, OriginVerifySecret, SessionSecret
from polyregion.infra.static_site import StaticSite
from polyregion.topology import naming
from polyregion.topology.model import Topology

# Placeholder used when the topology has no [aws] hosted_zone_id: synth works, deploy refuses.
PLACEHOLDER_ZONE_ID = "Z00000000000000PLACEHOLDER"


def env(topology: Topology, region: str) -> Environment:
    return Environment(account=topology.aws.account, region=region)


def zone(scope: Construct, topology: Topology) -> route53.IHostedZone:
    # From attributes, never a lookup: synth needs no AWS credentials.
    return route53.HostedZone.from_hosted_zone_attributes(
        scope,
        "Zone",
        hosted_zone_id=topology.aws.hosted_zone_id or PLACEHOLDER_ZONE_ID,
        zone_name=topology.domain,
    )


class DataStack(Stack):
    def __init__(self, scope: Construct, id: str, *, topology: Topology) -> None:
        super().__init__(scope, id, env=env(topology, topology.primary.name))
        self.global_tables = {
            t.name: GlobalTable(self, construct_id(t), topology=topology, table=t)
            for t in topology.global_tables
        }


class SecretsStack(Stack):
    def __init__(self, scope: Construct, id: str, *, topology: Topology) -> None:
        super().__init__(scope, id, env=env(topology, topology.primary.name))
        self.session_secret = SessionSecret(self, "SessionSecret", topology=topology)
        self.origin_verify = OriginVerifySecret(self, "OriginVerify", topology=topology)


class AssetsStack(Stack):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        topology: Topology,
        region: str,
        static: StaticSite | None,
    ) -> None:
        super().__init__(scope, id, env=env(topology, region))
        self.assets = AssetsBucket(
            self,
            "Assets",
            topology=topology,
            region=region,
            account=self.account,
            static=static,
        )
        CfnOutput(self, "BucketName", value=self.assets.bucket.bucket_name)
        # Every other declared bucket, under the same Replication switch.
        self.buckets = {
            spec.name: AppBucket(
                self,
                f"Bucket-{spec.name}",
                topology=topology,
                region=region,
                account=self.account,
                spec=spec,
                replication_enabled=self.assets.replication_enabled,
            )
            for spec in topology.buckets
            if spec.name != naming.ASSETS_BUCKET
        }


class RegionalStack(Stack):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        topology: Topology,
        region: str,
        asset_dir: Path,
    ) -> None:
        super().__init__(scope, id, env=env(topology, region))
        hosted_zone = zone(self, topology)
        self.tables = RegionalTables(self, "RegionalTables", topology=topology)
        function: lambda_.IFunction
        if topology.app_command is None:  # the bundled blog (examples/blog, Mangum)
            self.ssr = SsrFunction(
                self,
                "Ssr",
                topology=topology,
                region=region,
                account=self.account,
                asset_dir=asset_dir,
            )
            function = self.ssr.function
        else:  # an app of your own ([app] command, [app.lambda])
            self.app = DeclaredApp(
                self,
                "App",
                topology=topology,
                region=region,
                account=self.account,
                asset_dir=asset_dir,
            )
            function = self.app.function
        self.origin = RegionalOrigin(
            self,
            "Origin",
            topology=topology,
            region=region,
            function=function,
            zone=hosted_zone,
        )
        self.dns = OriginDns(
            self,
            "Dns",
            topology=topology,
            region=region,
            zone=hosted_zone,
            shared_target=self.origin.shared_domain.regional_domain_name,
            region_target=self.origin.region_domain.regional_domain_name,
            region_target_zone_id=self.origin.region_domain.regional_hosted_zone_id,
        )
        CfnOutput(self, "HealthCheckId", value=self.dns.health_check.attr_health_check_id)


class EdgeStack(Stack):
    def __init__(
        self, scope: Construct, id: str, *, topology: Topology, static: StaticSite | None
    ) -> None:
        super().__init__(scope, id, env=env(topology, EDGE_REGION))
        hosted_zone = zone(self, topology)
        self.edge = Edge(
            self, "Edge", topology=topology, account=self.account, zone=hosted_zone, static=static
        )
        self.alias = AppAlias(
            self,
            "AppAlias",
            topology=topology,
            zone=hosted_zone,
            distribution=self.edge.distribution,
        )
        CfnOutput(self, "DistributionId", value=self.edge.distribution.distribution_id)
        CfnOutput(self, "DistributionDomain", value=self.edge.distribution.domain_name)
