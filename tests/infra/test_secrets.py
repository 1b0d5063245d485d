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
