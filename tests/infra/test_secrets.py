from __future__ import annotations

import pytest

from tests.infra.conftest import Synth

pytestmark = pytest.mark.infra


def test_session_secret_is_generated_retained_and_replicated(two: Synth, three: Synth) -> None:
    t = two.template("shop-secrets")
    t.has_resource(
        "AWS::SecretsManager::Secret",
        {
            "DeletionPolicy": "Retain",
            "Properties": {
                "Name": "shop/session-secret",
                "ReplicaRegions": [{"Region": "eu-west-1"}],
                "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
            },
        },
    )
    (secret,) = [r for _, r in three.resources("AWS::SecretsManager::Secret")]
    regions = sorted(r["Region"] for r in secret["Properties"]["ReplicaRegions"])
    assert regions == ["ap-southeast-1", "eu-west-1"]  # never the primary itself


def test_rotation_is_off_unless_configured_then_scheduled(two: Synth, three: Synth) -> None:
    two.template("shop-secrets").resource_count_is("AWS::SecretsManager::RotationSchedule", 0)
    t = three.template("shop-secrets")
    t.has_resource_properties(
        "AWS::SecretsManager::RotationSchedule",
        {"RotationRules": {"ScheduleExpression": "rate(30 days)"}},
    )
    t.has_resource_properties(
        "AWS::Lambda::Function",
        {"Runtime": "python3.14", "Architectures": ["arm64"], "Handler": "index.handler"},
    )


@pytest.mark.functional
def test_rotation_handler_rotates_and_keeps_the_old_key_as_previous(moto_url: str) -> None:
    import uuid

    import boto3

    from polyregion.infra.rotation_handler import rotate

    sm = boto3.client("secretsmanager", region_name="us-east-1", endpoint_url=moto_url)
    name = f"rotation-test-{uuid.uuid4().hex[:8]}"
    old = sm.create_secret(Name=name, SecretString="old-key")["VersionId"]
    token = str(uuid.uuid4())
    for step in ("createSecret", "createSecret", "setSecret", "testSecret", "finishSecret"):
        rotate(sm, name, token, step)  # createSecret twice: retries must be idempotent
    # Labels from DescribeSecret (moto's GetSecretValue by stage lags UpdateSecretVersionStage).
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert "AWSCURRENT" in stages[token] and stages[old] == ["AWSPREVIOUS"]
    new_key = sm.get_secret_value(SecretId=name, VersionId=token)["SecretString"]
    assert len(new_key) == 64 and new_key.isalnum()
    assert sm.get_secret_value(SecretId=name, VersionId=old)["SecretString"] == "old-key"
    rotate(sm, name, token, "finishSecret")  # a retried final step changes nothing
    assert sm.describe_secret(SecretId=name)["VersionIdsToStages"] == stages
    with pytest.raises(ValueError, match="not a version"):
        rotate(sm, name, str(uuid.uuid4()), "finishSecret")
