from __future__ import annotations

from typing import Any

import pytest

from polyregion.topology import naming
from tests.infra.conftest import Synth

pytestmark = pytest.mark.infra


def _only(s: Synth, stack: str, kind: str) -> dict[str, Any]:
    (resource,) = [r for st, r in s.resources(kind) if st == stack]
    return resource


def _statements(s: Synth, region: str) -> dict[str, dict[str, Any]]:
    function = _only(s, f"shop-regional-{region}", "AWS::Lambda::Function")
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    role = s.templates[f"shop-regional-{region}"]["Resources"][role_id]
    (policy,) = role["Properties"]["Policies"]
    return {st["Sid"]: st for st in policy["PolicyDocument"]["Statement"]}


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(_text(v) for v in value)
    if isinstance(value, dict) and "Fn::Join" in value:
        return value["Fn::Join"][0].join(_text(p) for p in value["Fn::Join"][1])
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    return str(value)


def test_ssr_function_is_arm64_python_1024_mb_30_s_with_the_app_handler(two: Synth) -> None:
    for region in two.topology.region_names:
        t = two.template(f"shop-regional-{region}")
        t.has_resource_properties(
            "AWS::Lambda::Function",
            {
                "Architectures": ["arm64"],
                "Runtime": "python3.14",
                "MemorySize": 1024,
                "Timeout": 30,
                "Handler": "polyregion.app.lambda_handler.handler",
            },
        )
        env = _only(two, f"shop-regional-{region}", "AWS::Lambda::Function")["Properties"][
            "Environment"
        ]["Variables"]
        assert "AWS_REGION" not in env and "AWS_DEFAULT_REGION" not in env  # reserved
        assert env["POLYREGION_CONFIG"] == "/var/task/polyregion.toml"
        assert env["POLYREGION_SECURE_COOKIES"] == "1"
        assert _text(env["POLYREGION_BUCKET"]) == f"shop-assets-{region}-<AWS::AccountId>"
        assert env["POLYREGION_ACCOUNT_ID"] == {"Ref": "AWS::AccountId"}


def test_head_bucket_permission_is_present(two: Synth) -> None:
    """Seed defect: HeadBucket (the health check) needs s3:ListBucket, which it never had."""
    for region in two.topology.region_names:
        own = _statements(two, region)["OwnBucket"]
        assert own["Action"] == "s3:ListBucket"
        assert _text(own["Resource"]).endswith(f"shop-assets-{region}-<AWS::AccountId>")


def test_iam_is_exactly_what_the_app_calls(three: Synth) -> None:
    region = "eu-west-1"
    st = _statements(three, region)
    actions = {sid: sorted(s["Action"]) if isinstance(s["Action"], list) else [s["Action"]]
               for sid, s in st.items()}  # fmt: skip
    assert actions == {
        "GlobalTableLocalReplica": sorted(
            ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem"]
        ),
        "GlobalTableIndexes": ["dynamodb:Query"],
        "GlobalTableWriteRegionReads": ["dynamodb:GetItem"],
        "RegionalAuditTable": ["dynamodb:PutItem", "dynamodb:Query"],
        "OwnBucket": ["s3:ListBucket"],
        "OwnBucketCovers": ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
        "OtherBucketsList": ["s3:ListBucket"],
        "OtherBucketsCovers": ["s3:GetObject"],
        "SessionSecretLocalReplica": ["secretsmanager:GetSecretValue"],
        "OriginVerifySecretLocalReplica": ["secretsmanager:GetSecretValue"],
    }
    table = naming.table(three.topology, naming.BLOG_TABLE)
    local = _text(st["GlobalTableLocalReplica"]["Resource"])
    assert local.endswith(f":dynamodb:{region}:<AWS::AccountId>:table/{table}")
    indexes = _text(st["GlobalTableIndexes"]["Resource"])
    assert f"table/{table}/index/by-slug" in indexes and "index/by-kind" in indexes
    assert "index/*" not in indexes
    remote = _text(st["GlobalTableWriteRegionReads"]["Resource"])
    assert ":dynamodb:us-east-1:" in remote and ":dynamodb:ap-southeast-1:" in remote
    assert f":dynamodb:{region}:" not in remote
    secret = _text(st["SessionSecretLocalReplica"]["Resource"])
    assert secret.endswith(
        f":secretsmanager:{region}:<AWS::AccountId>:secret:shop/session-secret-??????"
    )
    # Only the origin verification secret, in this region (its own replica), by exact name.
    verify = st["OriginVerifySecretLocalReplica"]["Resource"]
    assert not isinstance(verify, list)
    assert _text(verify).endswith(
        f":secretsmanager:{region}:<AWS::AccountId>:secret:shop/origin-verify-??????"
    )
    covers = _text(st["OwnBucketCovers"]["Resource"])
    assert covers.endswith(f"shop-assets-{region}-111122223333/covers/*")
    every = " ".join(_text(s["Action"]) for s in st.values())
    assert "*" not in every  # no wildcard action anywhere


def test_origin_is_an_http_api_on_two_tls_custom_domains_never_a_function_url(two: Synth) -> None:
    for region in two.topology.region_names:
        name = f"shop-regional-{region}"
        t = two.template(name)
        t.resource_count_is("AWS::Lambda::Url", 0)
        t.has_resource_properties(
            "AWS::ApiGatewayV2::Api", {"ProtocolType": "HTTP", "DisableExecuteApiEndpoint": True}
        )
        t.has_resource_properties(
            "AWS::CertificateManager::Certificate",
            {
                "DomainName": "origin.example.org",
                "SubjectAlternativeNames": [f"{region}.origin.example.org"],
                "ValidationMethod": "DNS",
            },
        )
        domains = [r for st, r in two.resources("AWS::ApiGatewayV2::DomainName") if st == name]
        hostnames = sorted(d["Properties"]["DomainName"] for d in domains)
        assert hostnames == sorted(["origin.example.org", f"{region}.origin.example.org"])
        for d in domains:
            (config,) = d["Properties"]["DomainNameConfigurations"]
            assert config["EndpointType"] == "REGIONAL"
            assert config["SecurityPolicy"] == "TLS_1_2"
        t.resource_count_is("AWS::ApiGatewayV2::ApiMapping", 2)
        t.has_resource_properties(
            "AWS::ApiGatewayV2::Integration",
            {"IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "2.0"},  # what Mangum reads
        )
        stage = _only(two, name, "AWS::ApiGatewayV2::Stage")
        assert "AccessLogSettings" in stage["Properties"]
        # Every route throttled (topology [origin] defaults): HTTP APIs cannot have AWS WAF.
        assert stage["Properties"]["DefaultRouteSettings"] == {
            "ThrottlingRateLimit": 100,
            "ThrottlingBurstLimit": 200,
        }
        function = _only(two, name, "AWS::Lambda::Function")
        env = function["Properties"]["Environment"]["Variables"]
        assert env["POLYREGION_ORIGIN_VERIFY_SECRET"] == "shop/origin-verify"
