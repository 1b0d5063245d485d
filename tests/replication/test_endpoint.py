"""The region endpoint's replication extension, driven in-process through moto's WSGI app."""

from __future__ import annotations

import json

from werkzeug.test import Client

from polyregion.replication.endpoint import wrap


def client() -> Client:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return Client(wrap(DomainDispatcherApplication(create_backend_app)))


def test_extension_announces_itself_and_rejects_bad_requests() -> None:
    c = client()
    features = json.loads(c.get("/_polyregion/replication").data)["features"]
    assert "s3-replication-status" in features and "secret-replica-guard" in features
    assert c.get("/_polyregion/nope").status_code == 404
    bad = c.post("/_polyregion/s3/status", data=b"{not json")
    assert bad.status_code == 400 and b"bad request" in bad.data
    wrong = c.post(
        "/_polyregion/s3/status",
        data=json.dumps({"bucket": "b", "key": "k", "version_id": "v", "status": "DONE"}),
    )
    assert wrong.status_code == 400 and b"PENDING, COMPLETED" in wrong.data


def test_replica_secrets_refuse_writes_except_from_the_replicator() -> None:
    c = client()
    c.post("/_polyregion/secrets/replica", data=json.dumps({"name": "app/s", "primary": "r1"}))
    body = json.dumps({"SecretId": "app/s", "SecretString": "x"})
    headers = {"X-Amz-Target": "secretsmanager.PutSecretValue"}
    refused = c.post("/", data=body, headers=headers)
    assert refused.status_code == 400
    assert json.loads(refused.data)["__type"] == "InvalidRequestException"
    # Other secrets, and reads, pass through to moto (which answers for itself).
    other = c.post(
        "/",
        data=json.dumps({"SecretId": "other"}),
        headers={"X-Amz-Target": "secretsmanager.GetSecretValue"},
    )
    assert b"replica secret" not in other.data
