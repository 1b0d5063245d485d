"""[[tables]] -> DynamoDB, with specs shaped like the topology's TableSpec/IndexSpec."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

pytestmark = pytest.mark.infra


@dataclass(frozen=True)
class Index:
    name: str
    partition_key: str
    sort_key: str | None = None


@dataclass(frozen=True)
class Spec:
    name: str
    partition_key: str
    sort_key: str | None = None
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None
    numeric_attributes: tuple[str, ...] = ()


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    import aws_cdk as cdk

    from polyregion.infra.tables import DeclaredGlobalTable, DeclaredRegionalTable

    app = cdk.App()
    stack = cdk.Stack(app, "t", env=cdk.Environment(account="111122223333", region="us-east-1"))
    notes = Spec(
        "notes", "id", "created_at", (Index("by-author", "author", "created_at"),),
        ttl_attribute="expires_at", numeric_attributes=("created_at",),
    )  # fmt: skip
    DeclaredGlobalTable(
        stack, "Notes", physical_name="shop-notes", spec=notes, replica_regions=["eu-west-1"]
    )
    DeclaredRegionalTable(stack, "Audit", physical_name="shop-audit", spec=Spec("audit", "pk"))
    return app.synth().get_stack_by_name("t").template  # type: ignore[no-any-return]


def _table(template: dict[str, Any], name: str) -> dict[str, Any]:
    (props,) = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::DynamoDB::GlobalTable" and r["Properties"]["TableName"] == name
    ]
    return props


def test_a_global_table_has_keys_indexes_ttl_stream_pitr_and_replicas(
    template: dict[str, Any],
) -> None:
    t = _table(template, "shop-notes")
    assert {r["Region"] for r in t["Replicas"]} == {"us-east-1", "eu-west-1"}
    assert t["KeySchema"] == [
        {"AttributeName": "id", "KeyType": "HASH"},
        {"AttributeName": "created_at", "KeyType": "RANGE"},
    ]
    types = {a["AttributeName"]: a["AttributeType"] for a in t["AttributeDefinitions"]}
    assert types == {"id": "S", "created_at": "N", "author": "S"}
    assert [g["IndexName"] for g in t["GlobalSecondaryIndexes"]] == ["by-author"]
    assert t["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert t["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    for replica in t["Replicas"]:
        assert replica["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
        assert replica["DeletionProtectionEnabled"] is True


def test_a_regional_table_stays_in_its_region(template: dict[str, Any]) -> None:
    t = _table(template, "shop-audit")
    assert [r["Region"] for r in t["Replicas"]] == ["us-east-1"]
    assert "TimeToLiveSpecification" not in t
