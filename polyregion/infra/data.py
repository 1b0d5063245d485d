"""Data unit: the global table (one stack, replicas in every other region) and regional tables.

`TableV2` with replicas synthesizes `AWS::DynamoDB::GlobalTable`, which needs a stack with an
explicit region (the replicas are relative to it). Regional tables get a plain
`AWS::DynamoDB::Table` in each region: they are never replicated, by design (docs/topology.md).
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from polyregion.errors import ConfigError
from polyregion.topology import naming
from polyregion.topology import regions as aws_regions
from polyregion.topology.model import Consistency, TableSpec, Topology


def _attribute(table: TableSpec, name: str) -> dynamodb.Attribute:
    kind = (
        dynamodb.AttributeType.NUMBER
        if table.attribute_type(name) == "N"
        else dynamodb.AttributeType.STRING
    )
    return dynamodb.Attribute(name=name, type=kind)


def construct_id(table: TableSpec) -> str:
    """The blog's table keeps the construct id it always had, so its logical id is stable."""
    return "GlobalTable" if table.name == naming.BLOG_TABLE else f"GlobalTable-{table.name}"


def check_strong_consistency(topology: Topology) -> None:
    """MRSC needs exactly 3 regions inside one region set; the loader checks it too, but a
    Topology built by hand must not reach CloudFormation with an impossible setting."""
    if topology.consistency is not Consistency.STRONG:
        return
    names = set(topology.region_names)
    if len(names) != 3 or not any(names <= s for s in aws_regions.MRSC_REGION_SETS.values()):
        sets = "; ".join(
            f"{k}: {', '.join(sorted(s))}" for k, s in aws_regions.MRSC_REGION_SETS.items()
        )
        raise ConfigError(
            "app.consistency",
            "strong",
            f"DynamoDB MRSC needs exactly 3 regions of one region set ({sets}); use eventual",
        )


class GlobalTable(Construct):
    """One declared global table: a replica in every region of the topology."""

    def __init__(self, scope: Construct, id: str, *, topology: Topology, table: TableSpec) -> None:
        super().__init__(scope, id)
        check_strong_consistency(topology)
        strong = topology.consistency is Consistency.STRONG
        self.table_name = naming.table(topology, table.name)
        self.table = dynamodb.TableV2(
            self,
            "Table",
            table_name=self.table_name,
            partition_key=_attribute(table, table.partition_key),
            sort_key=_attribute(table, table.sort_key) if table.sort_key else None,
            time_to_live_attribute=table.ttl_attribute,
            billing=dynamodb.Billing.on_demand(),
            # The sandbox replicator and audit consumers read the stream; it is also what global
            # tables (MREC) replicate from.
            dynamo_stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=index.name,
                    partition_key=_attribute(table, index.partition_key),
                    sort_key=_attribute(table, index.sort_key) if index.sort_key else None,
                )
                for index in table.indexes
            ],
            replicas=[dynamodb.ReplicaTableProps(region=r.name) for r in topology.secondaries],
            multi_region_consistency=(
                dynamodb.MultiRegionConsistency.STRONG
                if strong
                else dynamodb.MultiRegionConsistency.EVENTUAL
            ),
        )


class RegionalTables(Construct):
    """One table per declared regional table, in this region only."""

    def __init__(self, scope: Construct, id: str, *, topology: Topology) -> None:
        super().__init__(scope, id)
        self.tables: dict[str, dynamodb.Table] = {}
        for spec in topology.regional_tables:
            self.tables[spec.name] = dynamodb.Table(
                self,
                spec.name,
                table_name=naming.table(topology, spec.name),
                partition_key=_attribute(spec, spec.partition_key),
                sort_key=_attribute(spec, spec.sort_key) if spec.sort_key else None,
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True
                ),
                deletion_protection=True,
                removal_policy=RemovalPolicy.RETAIN,
                # The blog's throttle attempt rows expire (blog.data.attempts); audit rows
                # carry no such attribute and are kept.
                time_to_live_attribute=spec.ttl_attribute,
            )
            for index in spec.indexes:
                self.tables[spec.name].add_global_secondary_index(
                    index_name=index.name,
                    partition_key=_attribute(spec, index.partition_key),
                    sort_key=_attribute(spec, index.sort_key) if index.sort_key else None,
                )
