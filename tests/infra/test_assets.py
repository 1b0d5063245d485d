from __future__ import annotations

from typing import Any

import pytest

from tests.infra.conftest import ACCOUNT, Synth

pytestmark = pytest.mark.infra


def _bucket(s: Synth, region: str) -> dict[str, Any]:
    (bucket,) = [r for st, r in s.resources("AWS::S3::Bucket") if st == f"shop-assets-{region}"]
    return bucket


def _replication(s: Synth, region: str) -> dict[str, Any]:
    """The configuration applied when the Replication parameter is `enabled`."""
    config = _bucket(s, region)["Properties"]["ReplicationConfiguration"]
    condition, enabled, disabled = config["Fn::If"]
    assert condition == "ReplicationEnabled"
    assert disabled == {"Ref": "AWS::NoValue"}
    return enabled


def _name(value: Any) -> str:
    """A bucket name or ARN as text: Fn::Join pieces and pseudo parameters flattened."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return sep.join(_name(p) for p in parts)
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    raise AssertionError(f"unexpected {value!r}")


def test_each_bucket_is_versioned_encrypted_private_tls_only_and_retained(two: Synth) -> None:
    from aws_cdk.assertions import Match

    for region in ("us-east-1", "eu-west-1"):
        t = two.template(f"shop-assets-{region}")
        t.has_resource(
            "AWS::S3::Bucket",
            {
                "DeletionPolicy": "Retain",
                "Properties": Match.object_like(
                    {
                        "VersioningConfiguration": {"Status": "Enabled"},
                        "BucketEncryption": {
                            "ServerSideEncryptionConfiguration": [
                                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                            ]
                        },
                        "PublicAccessBlockConfiguration": {
                            "BlockPublicAcls": True,
                            "BlockPublicPolicy": True,
                            "IgnorePublicAcls": True,
                            "RestrictPublicBuckets": True,
                        },
                    }
                ),
            },
        )
        t.has_resource_properties(
            "AWS::S3::BucketPolicy",
            {
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [
                            Match.object_like(
                                {
                                    "Effect": "Deny",
                                    "Action": "s3:*",
                                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                }
                            )
                        ]
                    )
                }
            },
        )
        name = _name(_bucket(two, region)["Properties"]["BucketName"])
        assert name == f"shop-assets-{region}-<AWS::AccountId>"  # naming.bucket + account


def test_no_same_region_cross_region_replication(two: Synth, three: Synth) -> None:
    """Seed defect: the article's 'CRR' pair sat in one stack, one region (that is SRR)."""
    for s in (two, three):
        for region in s.topology.region_names:
            rules = _replication(s, region)["Rules"]
            destinations = [_name(r["Destination"]["Bucket"]) for r in rules]
            others = [r for r in s.topology.region_names if r != region]
            assert len(destinations) == len(others)
            for destination, other in zip(destinations, others, strict=True):
                assert f"shop-assets-{other}-" in destination
                assert region not in destination
            assert [r["Priority"] for r in rules] == list(range(1, len(rules) + 1))


def test_rtc_15_minutes_with_metrics_and_delete_markers_as_configured(
    two: Synth, three: Synth
) -> None:
    for s, deletes in ((two, "Disabled"), (three, "Enabled")):
        for region in s.topology.region_names:
            for rule in _replication(s, region)["Rules"]:
                assert rule["Status"] == "Enabled"
                assert rule["Filter"] == {"Prefix": ""}
                assert rule["DeleteMarkerReplication"] == {"Status": deletes}
                dest = rule["Destination"]
                assert dest["ReplicationTime"] == {"Status": "Enabled", "Time": {"Minutes": 15}}
                assert dest["Metrics"] == {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}
                assert "StorageClass" not in dest  # the seed's STANDARD_IA surprised failovers


def test_replication_role_is_least_privilege(two: Synth, three: Synth) -> None:
    for s, replicate_deletes in ((two, False), (three, True)):
        for region in s.topology.region_names:
            (role,) = [
                r
                for st, r in s.resources("AWS::IAM::Role")
                if st == f"shop-assets-{region}" and _trusts(r, "s3.amazonaws.com")
            ]
            trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
            # AWS's documented replication trust policy (S3 User Guide, "Setting up permissions
            # for live replication", setting-repl-config-perm-overview) has no condition; no
            # page says S3 sends aws:SourceAccount when it assumes this role.
            assert trust == {
                "Action": "sts:AssumeRole",
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
            }
            (policy,) = role["Properties"]["Policies"]
            statements = policy["PolicyDocument"]["Statement"]
            actions = {a for st in statements for a in _list(st["Action"])}
            expected = {
                "s3:GetReplicationConfiguration",
                "s3:ListBucket",
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionTagging",
                "s3:ReplicateObject",
                "s3:ReplicateTags",
            }
            if replicate_deletes:
                expected.add("s3:ReplicateDelete")
            assert actions == expected
            replicate = next(st for st in statements if "s3:ReplicateObject" in _list(st["Action"]))
            targets = [_name(r) for r in _list(replicate["Resource"])]
            assert all(region not in t and t.endswith("/*") for t in targets)
            assert len(targets) == len(s.topology.region_names) - 1


def _trusts(role: dict[str, Any], service: str) -> bool:
    statements = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    return any(st["Principal"] == {"Service": service} for st in statements)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_only_our_distribution_reads_static_files_through_oac(three: Synth) -> None:
    t = three.template("shop-assets-eu-west-1")
    params = three.templates["shop-assets-eu-west-1"]["Parameters"]
    assert params["Replication"]["Default"] == "disabled"
    assert params["DistributionId"]["Default"] == "none"
    (policy,) = [
        r for st, r in three.resources("AWS::S3::BucketPolicy") if st == "shop-assets-eu-west-1"
    ]
    (oac,) = [
        st
        for st in policy["Properties"]["PolicyDocument"]["Statement"]
        if st.get("Principal") == {"Service": "cloudfront.amazonaws.com"}
    ]
    assert oac["Action"] == "s3:GetObject"
    assert _name(oac["Resource"]).endswith(f"shop-assets-eu-west-1-{ACCOUNT}/static/*")
    source = oac["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert source[0].endswith(":distribution/${Id}")
    assert source[1] == {"Id": {"Ref": "DistributionId"}}
    t.resource_count_is("Custom::CDKBucketDeployment", 1)
