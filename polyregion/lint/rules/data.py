"""Data rules: S3 replication, DynamoDB global tables, replicated secrets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from polyregion.lint.graph import App, Resource, Unresolved, concrete
from polyregion.lint.model import Severity
from polyregion.lint.rules.access import compute_regions, reads, replicated
from polyregion.lint.rules.base import Context, Hit, as_list, path, rule


def _replication_rules(ctx: Context, bucket: Resource, rule_id: str) -> list[dict[str, Any]]:
    config = bucket.properties.get("ReplicationConfiguration")
    if config is None:
        return []
    resolved = ctx.app.resolve(bucket.stack, config)
    if isinstance(resolved, Unresolved):
        ctx.note(bucket, rule_id, resolved)
        return []
    return [r for r in as_list(path(resolved, "Rules")) if isinstance(r, dict)]


def _bucket_named(app: App, arn: Any) -> Resource | None:
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        return None
    name = arn.split(":::", 1)[-1]
    return next((b for b in app.resources("AWS::S3::Bucket") if app.physical_name(b) == name), None)


def _versioned(app: App, bucket: Resource) -> bool:
    status = app.resolve(bucket.stack, path(bucket.properties, "VersioningConfiguration", "Status"))
    return bool(status == "Enabled")


@rule(
    "DATA1",
    area="data",
    severity=Severity.ERROR,
    title="S3 replication whose destination bucket is in the source's own region",
    fix="Create the destination bucket in another region's stack and replicate to it; same-"
    "region replication protects nothing from a regional outage.",
    reference="https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-cross-region-replication-enabled.html",
    pack=False,
)
def same_region_replication(ctx: Context) -> Iterator[Hit]:
    for bucket in ctx.app.resources("AWS::S3::Bucket"):
        for item in _replication_rules(ctx, bucket, "DATA1"):
            arn = path(item, "Destination", "Bucket")
            destination = _bucket_named(ctx.app, arn)
            if destination is None:
                ctx.note(bucket, "DATA1", f"destination {arn} is outside these stacks")
            elif not (concrete(bucket.region) and concrete(destination.region)):
                ctx.note(bucket, "DATA1", "a stack's region is unknown (use --region)")
            elif destination.region == bucket.region:
                yield Hit(
                    bucket,
                    f"rule {item.get('Id', '?')} replicates to {destination.stack.name}/"
                    f"{destination.logical_id}, also in {bucket.region}: that is same-region "
                    "replication; when the region fails both copies are gone",
                )


@rule(
    "DATA2",
    area="data",
    severity=Severity.ERROR,
    title="S3 replication without versioning on both sides",
    fix="Set VersioningConfiguration Status: Enabled on the source and every destination bucket.",
    reference="https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-s3-bucket-versioningconfig.html",
    pack=True,
)
def unversioned_replication(ctx: Context) -> Iterator[Hit]:
    for bucket in ctx.app.resources("AWS::S3::Bucket"):
        rules = _replication_rules(ctx, bucket, "DATA2")
        if rules and not _versioned(ctx.app, bucket):
            yield Hit(
                bucket,
                "replicates but is not versioned: S3 refuses the replication "
                "configuration and the stack fails to deploy",
            )
        for item in rules:
            destination = _bucket_named(ctx.app, path(item, "Destination", "Bucket"))
            if destination is not None and not _versioned(ctx.app, destination):
                yield Hit(
                    bucket,
                    f"destination {destination.stack.name}/{destination.logical_id} is not "
                    "versioned: replication fails (DstBucketUnversioned) and nothing is copied",
                )


@rule(
    "DATA3",
    area="data",
    severity=Severity.ERROR,
    title="Replication Time Control without replication metrics",
    fix="With ReplicationTime Status: Enabled, also set Metrics Status: Enabled "
    "(EventThreshold 15 minutes).",
    reference="https://docs.aws.amazon.com/AmazonS3/latest/API/API_ReplicationTime.html",
    pack=True,
)
def rtc_without_metrics(ctx: Context) -> Iterator[Hit]:
    for bucket in ctx.app.resources("AWS::S3::Bucket"):
        for item in _replication_rules(ctx, bucket, "DATA3"):
            destination = path(item, "Destination") or {}
            rtc = path(destination, "ReplicationTime", "Status") == "Enabled"
            if rtc and path(destination, "Metrics", "Status") != "Enabled":
                yield Hit(
                    bucket,
                    f"rule {item.get('Id', '?')} enables Replication Time Control without "
                    "metrics: S3 rejects the configuration, and without metrics nobody sees "
                    "replication falling behind",
                )


@rule(
    "DATA4",
    area="data",
    severity=Severity.ERROR,
    title="A global table with one replica, or without the stream it needs",
    fix="List a replica per region that serves traffic, and set StreamSpecification "
    "(NEW_AND_OLD_IMAGES) on a multi-replica MREC global table.",
    reference="https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-dynamodb-globaltable-streamspecification.html",
    pack=True,
)
def global_table_shape(ctx: Context) -> Iterator[Hit]:
    for table in ctx.app.resources("AWS::DynamoDB::GlobalTable"):
        replicas = as_list(ctx.app.resolve(table.stack, table.properties.get("Replicas")))
        strong = ctx.app.resolve(table.stack, table.properties.get("MultiRegionConsistency"))
        if len(replicas) == 1:
            yield Hit(
                table,
                "global table has one replica: it lives in one region and disappears with it",
                severity=Severity.WARNING,
            )
        elif (
            len(replicas) > 1
            and strong != "STRONG"
            and not table.properties.get("StreamSpecification")
        ):
            yield Hit(
                table,
                f"{len(replicas)} replicas but no StreamSpecification: CloudFormation requires "
                "the stream for a multi-replica (MREC) global table and the stack fails",
            )


@rule(
    "DATA5",
    area="data",
    severity=Severity.ERROR,
    title="A function reads a table or secret that has no replica in its region",
    fix="Add a replica in every region where a function reads it (GlobalTable Replicas, Secret "
    "ReplicaRegions), or read the primary region explicitly and accept the cross-region hop.",
    reference="https://docs.aws.amazon.com/secretsmanager/latest/userguide/add-regions.html",
    pack=False,
)
def missing_replica(ctx: Context) -> Iterator[Hit]:
    known = replicated(ctx.app)
    for found in reads(ctx.app, known):
        region = found.function.region
        if not concrete(region):
            continue
        for kind, names in (("table", found.tables), ("secret", found.secrets)):
            for name, regions in names.items():
                item = known.get((kind, name))
                local = not regions or regions & {"", "*", region}
                if item is None or not local or not item.regions or region in item.regions:
                    continue
                yield Hit(
                    found.function,
                    f"reads {kind} {name} in {region}, but its copies are in "
                    f"{', '.join(sorted(item.regions))}: the calls fail with ResourceNotFound "
                    f"when the function runs there",
                )


@rule(
    "DATA6",
    area="data",
    severity=Severity.WARNING,
    title="A table or secret replica in a region with no compute",
    fix="Drop the replica, or deploy the app's compute to that region too (cost only: nothing "
    "reads it).",
    reference="https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-dynamodb-globaltable-replicaspecification.html",
    pack=False,
)
def idle_replica(ctx: Context) -> Iterator[Hit]:
    compute = compute_regions(ctx.app)
    if not compute:
        return  # templates without compute (a data-only app): nothing to compare against
    for item in replicated(ctx.app).values():
        idle = sorted(item.regions - compute)
        if idle and len(item.regions) > 1:
            yield Hit(
                item.resource,
                f"{item.kind} {item.name} has a replica in {', '.join(idle)} where no function, "
                "service or instance runs: it costs storage and replicated writes, and serves "
                "nobody",
            )
