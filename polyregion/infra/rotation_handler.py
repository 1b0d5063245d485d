"""Secrets Manager rotation function for the session signing key (shipped inline, stdlib +
boto3 only). The four steps of AWS's rotation contract, for a secret that lives nowhere else:

- createSecret: a new random key as AWSPENDING (idempotent per ClientRequestToken);
- setSecret / testSecret: nothing to do - no database holds this key;
- finishSecret: AWSCURRENT moves to the new version; the old one becomes AWSPREVIOUS, which
  the app still accepts, so sessions signed before the rotation stay valid.

Replica regions receive the new version through Secrets Manager replication.
"""

from __future__ import annotations

from typing import Any

KEY_LENGTH = 64
_client: Any = None


def rotate(sm: Any, secret_id: str, token: str, step: str) -> None:
    stages = sm.describe_secret(SecretId=secret_id)["VersionIdsToStages"]
    if "AWSCURRENT" in stages.get(token, ()):
        return  # already finished (Secrets Manager retries steps)
    if step != "createSecret" and token not in stages:
        raise ValueError(f"version {token} is not a version of {secret_id}")
    if step == "createSecret":
        # RotateSecret normally registers the token first; put_secret_value creates it if not.
        try:
            sm.get_secret_value(SecretId=secret_id, VersionId=token, VersionStage="AWSPENDING")
        except sm.exceptions.ResourceNotFoundException:
            value = sm.get_random_password(PasswordLength=KEY_LENGTH, ExcludePunctuation=True)[
                "RandomPassword"
            ]
            sm.put_secret_value(
                SecretId=secret_id,
                ClientRequestToken=token,
                SecretString=value,
                VersionStages=["AWSPENDING"],
            )
    elif step in ("setSecret", "testSecret"):
        return
    elif step == "finishSecret":
        current = next(v for v, s in stages.items() if "AWSCURRENT" in s)
        sm.update_secret_version_stage(
            SecretId=secret_id,
            VersionStage="AWSCURRENT",
            MoveToVersionId=token,
            RemoveFromVersionId=current,
        )
    else:
        raise ValueError(f"unknown rotation step {step!r}")


def handler(event: dict[str, Any], context: Any) -> None:
    global _client
    if _client is None:
        import boto3

        _client = boto3.client("secretsmanager")
    if not _client.describe_secret(SecretId=event["SecretId"]).get("RotationEnabled"):
        raise ValueError("rotation is not enabled on this secret")
    rotate(_client, event["SecretId"], event["ClientRequestToken"], event["Step"])
