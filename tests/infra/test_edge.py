from __future__ import annotations

from typing import Any

import pytest

from tests.infra.conftest import Synth

pytestmark = pytest.mark.infra

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"


def _config(s: Synth) -> dict[str, Any]:
    (dist,) = [r for _, r in s.resources("AWS::CloudFront::Distribution")]
    return dist["Properties"]["DistributionConfig"]


def test_one_distribution_owns_the_app_hostname(two: Synth, three: Synth) -> None:
    """Seed defect: a distribution per region, all on app.<domain> (CNAMEAlreadyExists)."""
    for s in (two, three):
        distributions = s.resources("AWS::CloudFront::Distribution")
        assert [stack for stack, _ in distributions] == ["shop-edge"]
        aliases = [
            a for _, d in distributions for a in d["Properties"]["DistributionConfig"]["Aliases"]
        ]
        assert aliases == ["app.example.org"]
        assert len(set(aliases)) == len(aliases)
        assert s.regions["shop-edge"] == "us-east-1"  # CloudFront certificates live there
        s.template("shop-edge").has_resource_properties(
            "AWS::CertificateManager::Certificate",
            {"DomainName": "app.example.org", "ValidationMethod": "DNS"},
        )


def test_dynamic_paths_forward_cookies_and_are_not_cached(two: Synth) -> None:
    """Seed defect: CachingOptimized with no origin request policy dropped the session cookie."""
    default = _config(two)["DefaultCacheBehavior"]
    assert default["CachePolicyId"] == CACHING_DISABLED
    assert default["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    assert default["ResponseHeadersPolicyId"] == SECURITY_HEADERS
    assert set(default["AllowedMethods"]) >= {"GET", "HEAD", "POST", "PUT", "DELETE"}


def test_app_origin_is_the_latency_routed_origin_hostname_over_tls(two: Synth) -> None:
    config = _config(two)
    origins = {o["Id"]: o for o in config["Origins"]}
    app = origins[config["DefaultCacheBehavior"]["TargetOriginId"]]
    assert app["DomainName"] == "origin.example.org"
    custom = app["CustomOriginConfig"]
    assert custom["OriginProtocolPolicy"] == "https-only"
    assert custom["OriginSSLProtocols"] == ["TLSv1.2"]
    assert custom["OriginReadTimeout"] == 30
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"


def test_the_app_origin_gets_the_verify_header_from_a_dynamic_reference_only(
    two: Synth,
) -> None:
    config = _config(two)
    origins = {o["Id"]: o for o in config["Origins"]}
    app = origins.pop(config["DefaultCacheBehavior"]["TargetOriginId"])
    (header,) = app["OriginCustomHeaders"]
    assert header["HeaderName"] == "x-origin-verify"
    # {{resolve:secretsmanager:<name>:SecretString:::<OriginVerifyVersion>}}: resolved by
    # CloudFormation in us-east-1 (a replica there), never a value in the template.
    assert header["HeaderValue"] == {
        "Fn::Join": [
            "",
            [
                "{{resolve:secretsmanager:shop/origin-verify:SecretString:::",
                {"Ref": "OriginVerifyVersion"},
                "}}",
            ],
        ]
    }
    param = two.templates["shop-edge"]["Parameters"]["OriginVerifyVersion"]
    assert param["Default"] == ""  # AWSCURRENT at deploy time until a rotation pins a version
    assert all("OriginCustomHeaders" not in o for o in origins.values())  # not sent to S3


def test_static_files_cached_from_s3_with_oac_and_a_replica_failover(two: Synth) -> None:
    from aws_cdk.assertions import Match

    config = _config(two)
    (static,) = config["CacheBehaviors"]
    assert static["PathPattern"] == "/static/*"
    assert static["CachePolicyId"] == CACHING_OPTIMIZED
    assert static["ViewerProtocolPolicy"] == "redirect-to-https"
    # Origin groups fail over only GET/HEAD/OPTIONS: no POST on this behavior.
    assert sorted(static["AllowedMethods"]) == ["GET", "HEAD"]
    (group,) = config["OriginGroups"]["Items"]
    assert static["TargetOriginId"] == group["Id"]
    codes = group["FailoverCriteria"]["StatusCodes"]["Items"]
    assert {403, 404, 500, 502, 503, 504} == set(codes)
    members = [m["OriginId"] for m in group["Members"]["Items"]]
    origins = {o["Id"]: o for o in config["Origins"]}
    domains = [str(origins[m]["DomainName"]) for m in members]
    assert "shop-assets-us-east-1-" in domains[0] and ".s3.us-east-1." in domains[0]
    assert "shop-assets-eu-west-1-" in domains[1] and ".s3.eu-west-1." in domains[1]
    for m in members:
        assert "OriginAccessControlId" in origins[m]
        assert origins[m]["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    two.template("shop-edge").has_resource_properties(
        "AWS::CloudFront::OriginAccessControl",
        {
            "OriginAccessControlConfig": {
                "Name": Match.any_value(),
                "OriginAccessControlOriginType": "s3",
                "SigningBehavior": "always",
                "SigningProtocol": "sigv4",
            }
        },
    )
