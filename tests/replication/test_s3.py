"""S3 replication between per-region endpoints: new versions, status, delete markers."""

from __future__ import annotations

import pytest

from tests.replication.conftest import World, wait_until

pytestmark = pytest.mark.functional


def status(w: World, region: str, key: str, version: str | None = None) -> str | None:
    """The object's replication status; "absent" when the region has no such object yet."""
    s3 = w.clients[region].s3
    kwargs = {"VersionId": version} if version else {}
    try:
        head = s3.head_object(Bucket=w.bucket(region), Key=key, **kwargs)
    except s3.exceptions.ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey"):
            return "absent"
        raise
    return head.get("ReplicationStatus")


def test_new_versions_replicate_with_status_and_the_same_version_id(shared_world: World) -> None:
    w = shared_world
    a, b, c = w.regions
    w.replicator.partition(a, b)  # hold the copy to B so PENDING is observable
    try:
        put = w.clients[a].s3.put_object(
            Bucket=w.bucket(a), Key="img/logo.svg", Body=b"<svg/>", ContentType="image/svg+xml",
            Metadata={"owner": "web"},
        )  # fmt: skip
        vid = put["VersionId"]
        assert status(w, a, "img/logo.svg") == "PENDING"
        wait_until(lambda: status(w, c, "img/logo.svg") == "REPLICA", timeout_s=10)
        assert status(w, a, "img/logo.svg") == "PENDING"  # B is still missing its copy
    finally:
        w.replicator.heal()
    wait_until(lambda: status(w, a, "img/logo.svg") == "COMPLETED", timeout_s=10)
    for region in (b, c):
        got = w.clients[region].s3.get_object(Bucket=w.bucket(region), Key="img/logo.svg")
        assert got["VersionId"] == vid  # S3 replicas keep the source's version id
        assert got["ReplicationStatus"] == "REPLICA"
        assert got["Body"].read() == b"<svg/>"
        assert got["ContentType"] == "image/svg+xml" and got["Metadata"] == {"owner": "web"}
    # A copy is not replicated back: A still has exactly one version.
    versions = w.clients[a].s3.list_object_versions(Bucket=w.bucket(a), Prefix="img/logo.svg")
    assert [v["VersionId"] for v in versions["Versions"]] == [vid]


def test_delete_markers_replicate_only_when_configured(shared_world: World) -> None:
    w = shared_world
    a, b, c = w.regions
    s3 = w.clients[a].s3
    s3.put_object(Bucket=w.bucket(a), Key="doc.txt", Body=b"v1")
    wait_until(lambda: status(w, a, "doc.txt") == "COMPLETED", timeout_s=10)
    marker = s3.delete_object(Bucket=w.bucket(a), Key="doc.txt")["VersionId"]

    def marker_in(region: str) -> bool:
        listing = w.clients[region].s3.list_object_versions(
            Bucket=w.bucket(region), Prefix="doc.txt"
        )
        return marker in [m["VersionId"] for m in listing.get("DeleteMarkers", [])]

    wait_until(lambda: marker_in(b) and marker_in(c), timeout_s=10)  # replicate_deletes = true

    # Turn delete-marker replication off for B's rules: B's markers stay in B.
    config = w.clients[b].s3.get_bucket_replication(Bucket=w.bucket(b))["ReplicationConfiguration"]
    for rule in config["Rules"]:
        rule["DeleteMarkerReplication"] = {"Status": "Disabled"}
    w.clients[b].s3.put_bucket_replication(Bucket=w.bucket(b), ReplicationConfiguration=config)
    w.clients[b].s3.put_object(Bucket=w.bucket(b), Key="keep.txt", Body=b"k")
    wait_until(lambda: status(w, b, "keep.txt") == "COMPLETED", timeout_s=10)
    w.clients[b].s3.delete_object(Bucket=w.bucket(b), Key="keep.txt")
    w.put(b, "s3-barrier", "after-the-delete")  # replication has moved on past the delete
    wait_until(lambda: w.value(a, "s3-barrier") == "after-the-delete", timeout_s=10)
    for region in (a, c):
        listing = w.clients[region].s3.list_object_versions(
            Bucket=w.bucket(region), Prefix="keep.txt"
        )
        assert listing.get("DeleteMarkers", []) == [] and len(listing["Versions"]) == 1


def test_objects_written_before_replication_was_configured_stay_put(shared_world: World) -> None:
    w = shared_world
    a = w.regions[0]
    s3 = w.clients[a].s3
    config = s3.get_bucket_replication(Bucket=w.bucket(a))["ReplicationConfiguration"]
    s3.delete_bucket_replication(Bucket=w.bucket(a))
    try:
        s3.put_object(Bucket=w.bucket(a), Key="legacy.bin", Body=b"old")
    finally:
        s3.put_bucket_replication(Bucket=w.bucket(a), ReplicationConfiguration=config)
    s3.put_object(Bucket=w.bucket(a), Key="fresh.bin", Body=b"new")
    wait_until(lambda: status(w, a, "fresh.bin") == "COMPLETED", timeout_s=10)
    assert status(w, a, "legacy.bin") is None  # existing objects are not replicated (as on S3)
    for region in w.regions[1:]:
        listing = w.clients[region].s3.list_objects_v2(Bucket=w.bucket(region), Prefix="legacy")
        assert listing.get("KeyCount", 0) == 0


def test_a_regional_bucket_is_never_replicated_and_several_global_ones_are(
    shared_world: World,
) -> None:
    from polyregion.topology import naming

    w = shared_world
    a, b, _ = w.regions
    scratch = {r: naming.bucket(w.topology, r, name="scratch") for r in w.regions}
    s3 = w.clients[a].s3
    s3.put_object(Bucket=scratch[a], Key="local.txt", Body=b"stays")
    assert "ReplicationStatus" not in s3.head_object(Bucket=scratch[a], Key="local.txt")
    with pytest.raises(s3.exceptions.ClientError):  # no replication configuration at all
        s3.get_bucket_replication(Bucket=scratch[a])
    # A global object written after it arrives; the regional one never does.
    s3.put_object(Bucket=w.bucket(a), Key="after-scratch.txt", Body=b"x")
    wait_until(lambda: status(w, b, "after-scratch.txt") == "REPLICA", timeout_s=10)
    listed = w.clients[b].s3.list_objects_v2(Bucket=scratch[b])
    assert listed.get("KeyCount", 0) == 0
