"""Every CloudFormation resource type `polyregion synth` emits, and what prices it.

`polyregion cost` prices usage (requests, GB, writes) plus the resources that bill by the month.
This table is the bridge to the synthesized stacks: each type maps either to the line items of
the model that price it, or to an explicit "no charge" reason. A test scans the templates of
real synths and fails on a type that is in neither, so a new resource cannot slip into the
stacks unpriced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Priced:
    items: tuple[str, ...]  # line item names in polyregion.cost.model


@dataclass(frozen=True, slots=True)
class NoCharge:
    reason: str


Rule = Priced | NoCharge

RULES: Final[dict[str, Rule]] = {
    "AWS::Lambda::Function": Priced(("Lambda requests", "Lambda compute (Arm)")),
    "AWS::ApiGatewayV2::Api": Priced(("API Gateway HTTP API requests",)),
    "AWS::DynamoDB::GlobalTable": Priced(
        (
            "DynamoDB reads",
            "DynamoDB writes",
            "DynamoDB replicated writes",
            "DynamoDB GSI writes",
            "DynamoDB storage",
            "DynamoDB Streams reads",
            "Inter-region transfer (DynamoDB)",
        )
    ),
    "AWS::DynamoDB::Table": Priced(("DynamoDB reads", "DynamoDB writes", "DynamoDB storage")),
    "AWS::S3::Bucket": Priced(
        (
            "S3 storage",
            "S3 uploads",
            "S3 replication PUTs",
            "S3 Replication Time Control",
            "Inter-region transfer (S3 CRR)",
        )
    ),
    "AWS::CloudFront::Distribution": Priced(("CloudFront requests", "CloudFront data out")),
    "AWS::Route53::HealthCheck": Priced(("Route 53 health checks",)),
    "AWS::Route53::RecordSet": Priced(("Route 53 hosted zone", "Route 53 latency queries")),
    "AWS::SecretsManager::Secret": Priced(
        ("Secrets Manager secret", "Secrets Manager replicas", "Secrets Manager API calls")
    ),
    "AWS::Logs::LogGroup": Priced(("CloudWatch Logs ingestion",)),
    # No charge of their own (the usage they enable is priced above).
    "AWS::ApiGatewayV2::ApiMapping": NoCharge("configuration of the HTTP API"),
    "AWS::ApiGatewayV2::DomainName": NoCharge("custom domain names of HTTP APIs are free"),
    "AWS::ApiGatewayV2::Integration": NoCharge("configuration of the HTTP API"),
    "AWS::ApiGatewayV2::Route": NoCharge("configuration of the HTTP API"),
    "AWS::ApiGatewayV2::Stage": NoCharge("configuration of the HTTP API"),
    "AWS::CertificateManager::Certificate": NoCharge("public ACM certificates are free"),
    "AWS::CloudFront::OriginAccessControl": NoCharge("configuration of the distribution"),
    "AWS::IAM::Role": NoCharge("IAM is free"),
    "AWS::IAM::Policy": NoCharge("IAM is free"),
    "AWS::Lambda::Permission": NoCharge("resource policy of a function"),
    "AWS::Lambda::LayerVersion": NoCharge(
        "CDK's BucketDeployment layer: storage within Lambda's free code storage"
    ),
    "AWS::S3::BucketPolicy": NoCharge("configuration of the bucket"),
    "AWS::SecretsManager::ResourcePolicy": NoCharge("configuration of the secret"),
    "AWS::SecretsManager::RotationSchedule": NoCharge(
        "configuration; the rotation function's few invocations a month are negligible"
    ),
    "Custom::CDKBucketDeployment": NoCharge(
        "runs at deploy time only (a few Lambda invocations and S3 PUTs per deploy)"
    ),
}


def rule_for(resource_type: str) -> Rule | None:
    return RULES.get(resource_type)
