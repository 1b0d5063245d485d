"""A region provisioned in the session's moto server for the kit's checks."""

from __future__ import annotations

import pytest

from polyregion.data.clients import RegionClients, clients_for

REGION = "eu-west-1"


@pytest.fixture(scope="session")
def aws(moto_url: str) -> RegionClients:
    clients = clients_for(REGION, {REGION: moto_url})
    ddb = clients.dynamodb
    for name, attrs in (("kit-notes", [("id", "S")]), ("kit-scores", [("user", "S"), ("n", "N")])):
        try:
            ddb.create_table(
                TableName=name,
                KeySchema=[
                    {"AttributeName": a, "KeyType": "HASH" if i == 0 else "RANGE"}
                    for i, (a, _) in enumerate(attrs)
                ],
                AttributeDefinitions=[{"AttributeName": a, "AttributeType": t} for a, t in attrs],
                BillingMode="PAY_PER_REQUEST",
            )
        except ddb.exceptions.ResourceInUseException:
            pass
    s3 = clients.s3
    try:
        s3.create_bucket(
            Bucket="kit-uploads-eu-west-1",
            CreateBucketConfiguration={"LocationConstraint": REGION},  # type: ignore[typeddict-item]
        )
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    sm = clients.secretsmanager
    try:
        sm.create_secret(Name="kit/session-secret", SecretString="s" * 48)
    except sm.exceptions.ResourceExistsException:
        pass
    return clients
