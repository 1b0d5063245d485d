from __future__ import annotations

import dataclasses

import pytest

from polyregion.errors import ConfigError
from polyregion.infra.data import check_strong_consistency
from polyregion.topology import Consistency, from_dict
from tests.infra.conftest import Synth

pytestmark = pytest.mark.infra


def _global_table(s: Synth) -> dict:
    (table,) = [r for _, r in s.resources("AWS::DynamoDB::GlobalTable")]
    return table


def test_global_table_has_replicas_pitr_stream_gsis_on_demand_and_is_retained(two: Synth) -> None:
    from aws_cdk.assertions import Match

    t = two.template("shop-data")
    t.resource_count_is("AWS::DynamoDB::GlobalTable", 1)
    t.has_resource(
        "AWS::DynamoDB::GlobalTable",
        {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"},
    )
    t.has_resource_properties(
        "AWS::DynamoDB::GlobalTable",
        {
            "TableName": "shop-data",
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "GlobalSecondaryIndexes": Match.array_with(
                [
                    Match.object_like(
                        {
                            "IndexName": "by-slug",
                            "KeySchema": [{"AttributeName": "slug", "KeyType": "HASH"}],
                        }
                    ),
                    Match.object_like({"IndexName": "by-kind"}),
                ]
            ),
            "AttributeDefinitions": Match.array_with(
                [{"AttributeName": "created_at", "AttributeType": "N"}]
            ),
        },
    )
    replicas = _global_table(two)["Properties"]["Replicas"]
    assert sorted(r["Region"] for r in replicas) == ["eu-west-1", "us-east-1"]
    for replica in replicas:
        assert replica["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert replica["DeletionProtectionEnabled"] is True
    assert two.regions["shop-data"] == "us-east-1"  # explicit region: replicas relative to it


def test_a_wrong_assertion_raises_runtime_error_not_assertion_error(two: Synth) -> None:
    # aws_cdk.assertions reports through jsii: a failing check is a RuntimeError.
    with pytest.raises(RuntimeError):
        two.template("shop-data").has_resource_properties(
            "AWS::DynamoDB::GlobalTable", {"BillingMode": "PROVISIONED"}
        )


def test_regional_tables_stay_in_their_region(two: Synth) -> None:
    for region in ("us-east-1", "eu-west-1"):
        t = two.template(f"shop-regional-{region}")
        t.resource_count_is("AWS::DynamoDB::Table", 1)
        t.resource_count_is("AWS::DynamoDB::GlobalTable", 0)
        t.has_resource_properties(
            "AWS::DynamoDB::Table",
            {
                "TableName": "shop-signin-audit",
                "BillingMode": "PAY_PER_REQUEST",
                "DeletionProtectionEnabled": True,
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                # Sign-in throttle rows expire by TTL (blog.data.attempts).
                "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
            },
        )


def test_strong_consistency_synthesizes_mrsc() -> None:
    import aws_cdk as cdk
    from aws_cdk.assertions import Template

    from polyregion.infra.stacks import DataStack

    # The loader refuses strong for the bundled blog (TransactWriteItems); an app without
    # transactions may use it, and the stacks must synthesize it.
    eventual = from_dict(
        {
            "regions": [
                {"name": "us-east-1", "role": "primary"},
                {"name": "us-east-2"},
                {"name": "us-west-2"},
            ],
        }
    )
    topo = dataclasses.replace(eventual, consistency=Consistency.STRONG)
    stack = DataStack(cdk.App(), "strong", topology=topo)
    Template.from_stack(stack).has_resource_properties(
        "AWS::DynamoDB::GlobalTable", {"MultiRegionConsistency": "STRONG"}
    )


def test_strong_consistency_outside_one_region_set_is_a_clear_error() -> None:
    # The loader refuses it; a Topology built in code must be refused by the stacks as well.
    topo = dataclasses.replace(from_dict({}), consistency=Consistency.STRONG)
    with pytest.raises(ConfigError, match="exactly 3 regions of one region set"):
        check_strong_consistency(topo)
