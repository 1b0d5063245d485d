"""Create a region's AWS resources from the topology, through the AWS API.

Used by the sandbox (against each region's moto endpoint) and by tests. On real AWS the CDK
stacks create the same resources; both read the names and schemas from `topology.naming`.
Every global table is created in every region with a stream (NEW_AND_OLD_IMAGES): replication
in the sandbox reads those streams, as global tables do.
"""

from __future__ import annotations

import secrets
from typing import Any

from polyregion.data.clients import RegionClients
from polyregion.topology import naming
from polyregion.topology.model import Scope, TableSpec, Topology


def table_definition(name: str, spec: TableSpec, *, stream: bool) -> dict[str, Any]:
    """CreateTable arguments of one declared table: its key schema, indexes and types."""
    attrs = {a: spec.attribute_type(a) for a in spec.key_attributes}
    gsis = []
    for idx in spec.indexes:
        keys = [{"AttributeName": idx.partition_key, "KeyType": "HASH"}]
        attrs[idx.partition_key] = spec.attribute_type(idx.partition_key)
        if idx.sort_key:
            keys.append({"AttributeName": idx.sort_key, "KeyType": "RANGE"})
            attrs[idx.sort_key] = spec.attribute_type(idx.sort_key)
        gsis.append(
            {"IndexName": idx.name, "KeySchema": keys, "Projection": {"ProjectionType": "ALL"}}
        )
    key_schema = [{"AttributeName": spec.partition_key, "KeyType": "HASH"}]
    if spec.sort_key:
        key_schema.append({"AttributeName": spec.sort_key, "KeyType": "RANGE"})
    definition: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": key_schema,
        "AttributeDefinitions": [
            {"AttributeName": k, "AttributeType": t} for k, t in attrs.items()
        ],
    }
    if gsis:
        definition["GlobalSecondaryIndexes"] = gsis
    if stream:
        definition["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
    return definition


def _create_table(clients: RegionClients, definition: dict[str, Any]) -> None:
    ddb = clients.dynamodb
    try:
        ddb.create_table(**definition)
    except ddb.exceptions.ResourceInUseException:
        return  # already there: provisioning is idempotent
    ddb.get_waiter("table_exists").wait(
        TableName=definition["TableName"], WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )


def _enable_ttl(clients: RegionClients, table: str, attribute: str) -> None:
    """TTL on the tables that declare `ttl_attribute`, as the CDK stack sets it."""
    ddb = clients.dynamodb
    status = ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    if status.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
        return  # UpdateTimeToLive refuses to enable it twice
    ddb.update_time_to_live(
        TableName=table,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute},
    )


def provision_region(
    topology: Topology,
    region: str,
    clients: RegionClients,
    *,
    secret_value: str | None = None,
    origin_verify_value: str | None = None,
) -> None:
    """Create (idempotently) the declared tables, buckets and the secrets in one region.

    Global tables get a stream (what the sandbox replicator reads, as global tables do);
    regional ones none: nothing reads them outside their region.
    `secret_value` seeds the session secret; every region must get the same value (the
    primary's), as Secrets Manager replication would give. None generates one.
    `origin_verify_value`, if given, seeds the origin verification secret the same way (the
    sandbox checks it; `polyregion serve` does not create it).
    """
    for spec in topology.tables:
        name = naming.table(topology, spec.name)
        _create_table(clients, table_definition(name, spec, stream=spec.scope is Scope.GLOBAL))
        if spec.ttl_attribute:
            _enable_ttl(clients, name, spec.ttl_attribute)

    s3 = clients.s3
    for b in topology.buckets:
        bucket = naming.bucket(topology, region, name=b.name)
        try:
            if region == "us-east-1":
                s3.create_bucket(Bucket=bucket)
            else:
                s3.create_bucket(
                    Bucket=bucket,
                    CreateBucketConfiguration={"LocationConstraint": region},  # type: ignore[typeddict-item]
                )
        except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
            pass
        # Versioning: what S3 replication needs, on every bucket alike.
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})

    sm = clients.secretsmanager
    values = {naming.session_secret(topology): secret_value or secrets.token_urlsafe(48)}
    if origin_verify_value is not None:
        values[naming.origin_verify_secret(topology)] = origin_verify_value
    for name, value in values.items():
        try:
            sm.create_secret(Name=name, SecretString=value)
        except sm.exceptions.ResourceExistsException:
            pass
