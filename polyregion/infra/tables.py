"""`[[tables]]` as DynamoDB tables: one global table (replicas in every other region) per
`scope = "global"` entry, and one table per region per `scope = "regional"` entry.

Both kinds: on-demand, keys and GSIs as declared (string attributes unless listed in
`numeric_attributes`), TTL on `ttl_attribute`, a NEW_AND_OLD_IMAGES stream (what MREC
replicates from and what the sandbox's replicator reads), point-in-time recovery, deletion
protection and RETAIN. Physical names come from `topology.naming` (`<app>-<table>`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct


class IndexLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def partition_key(self) -> str: ...
    @property
    def sort_key(self) -> str | None: ...


class TableLike(Protocol):
    """What the topology's TableSpec carries (topology/model.py)."""

    @property
    def name(self) -> str: ...
    @property
    def partition_key(self) -> str: ...
    @property
    def sort_key(self) -> str | None: ...
    @property
    def indexes(self) -> Sequence[IndexLike]: ...
    @property
    def ttl_attribute(self) -> str | None: ...
    @property
    def numeric_attributes(self) -> Sequence[str]: ...


def _attribute(spec: TableLike, name: str) -> dynamodb.Attribute:
    kind = (
        dynamodb.AttributeType.NUMBER
        if name in spec.numeric_attributes
        else dynamodb.AttributeType.STRING
    )
    return dynamodb.Attribute(name=name, type=kind)


def _common(spec: TableLike) -> dict[str, object]:
    return {
        "partition_key": _attribute(spec, spec.partition_key),
        "sort_key": _attribute(spec, spec.sort_key) if spec.sort_key else None,
        "billing": dynamodb.Billing.on_demand(),
        "dynamo_stream": dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
        "point_in_time_recovery_specification": dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        "deletion_protection": True,
        "removal_policy": RemovalPolicy.RETAIN,
        "time_to_live_attribute": spec.ttl_attribute,
        "global_secondary_indexes": [
            dynamodb.GlobalSecondaryIndexPropsV2(
                index_name=index.name,
                partition_key=_attribute(spec, index.partition_key),
                sort_key=_attribute(spec, index.sort_key) if index.sort_key else None,
            )
            for index in spec.indexes
        ],
    }


class DeclaredGlobalTable(Construct):
    """`AWS::DynamoDB::GlobalTable` with a replica in every region (the stack's is the first)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        physical_name: str,
        spec: TableLike,
        replica_regions: Sequence[str],
        strong: bool = False,
    ) -> None:
        super().__init__(scope, id)
        self.table_name = physical_name
        self.table = dynamodb.TableV2(
            self,
            "Table",
            table_name=physical_name,
            replicas=[dynamodb.ReplicaTableProps(region=r) for r in replica_regions],
            multi_region_consistency=(
                dynamodb.MultiRegionConsistency.STRONG
                if strong
                else dynamodb.MultiRegionConsistency.EVENTUAL
            ),
            **_common(spec),  # type: ignore[arg-type]
        )


class DeclaredRegionalTable(Construct):
    """The same table in one region only (`scope = "regional"`): never replicated."""

    def __init__(self, scope: Construct, id: str, *, physical_name: str, spec: TableLike) -> None:
        super().__init__(scope, id)
        self.table_name = physical_name
        self.table = dynamodb.TableV2(self, "Table", table_name=physical_name, **_common(spec))  # type: ignore[arg-type]
