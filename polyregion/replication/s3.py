"""S3 cross-region replication: copy new object versions to the other regions' buckets.

Driven by each source bucket's stored replication configuration, as S3 is: rules with a prefix
filter, a destination bucket ARN and DeleteMarkerReplication. New versions are found by polling
list_object_versions (moto has no event stream to S3 replication); the replication status kept
by the region endpoint (endpoint.py) is the state: PENDING means "copy me", COMPLETED and
REPLICA mean done, no status means the object predates the configuration (S3 does not
replicate existing objects). Copies keep the source version id, so a copy made before a crash
is found, not duplicated. Version deletes never replicate; delete markers only when enabled.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from polyregion.data.clients import RegionClients
from polyregion.replication.events import EventLog
from polyregion.replication.links import Partitions
from polyregion.topology import naming
from polyregion.topology.model import BucketSpec, Topology

ROLE_ARN = "arn:aws:iam::123456789012:role/polyregion-s3-replication"


def replication_configuration(topology: Topology, region: str, spec: BucketSpec) -> dict[str, Any]:
    """The bucket's replication configuration: every other region, as the infrastructure sets."""
    delete_markers = "Enabled" if spec.replicate_deletes else "Disabled"
    rules = [
        {
            "ID": f"to-{dest}",
            "Priority": i + 1,
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "DeleteMarkerReplication": {"Status": delete_markers},
            "Destination": {
                "Bucket": f"arn:aws:s3:::{naming.bucket(topology, dest, name=spec.name)}"
            },
        }
        for i, dest in enumerate(r for r in topology.region_names if r != region)
    ]
    return {"Role": ROLE_ARN, "Rules": rules}


def configure_buckets(topology: Topology, clients: Mapping[str, RegionClients]) -> None:
    """Put each global bucket's replication configuration in every region (idempotent); call
    after provisioning. Regional buckets get none: they never leave their region."""
    for spec in topology.global_buckets:
        for region, c in clients.items():
            c.s3.put_bucket_replication(
                Bucket=naming.bucket(topology, region, name=spec.name),
                ReplicationConfiguration=replication_configuration(topology, region, spec),  # type: ignore[arg-type]
            )


@dataclass(frozen=True)
class Rule:
    prefix: str
    destination_bucket: str
    delete_markers: bool


class BucketReplication:
    def __init__(
        self,
        topology: Topology,
        clients: Mapping[str, RegionClients],
        partitions: Partitions,
        events: EventLog,
        endpoints: Mapping[str, str],
    ) -> None:
        self.topology = topology
        self.clients = clients
        self.partitions = partitions
        self.events = events
        self.endpoints = endpoints
        # physical name -> region, of every global bucket (the destinations rules may name)
        self.bucket_region = {
            naming.bucket(topology, r, name=b.name): r
            for b in topology.global_buckets
            for r in topology.region_names
        }
        self.seen: dict[str, set[str]] = {
            naming.bucket(topology, r, name=b.name): set()
            for b in topology.global_buckets
            for r in clients
        }
        self.replicated = 0
        self.pending = 0
        self.max_lag_ms = 0.0
        self.error: str | None = None

    def status(self) -> dict[str, Any]:
        return {
            "replicated": self.replicated,
            "pending": self.pending,
            "max_lag_ms": round(self.max_lag_ms, 1),
            "error": self.error,
        }

    def run(self, stop: threading.Event, interval_s: float) -> None:
        while not stop.wait(interval_s):
            try:
                self.pending = sum(
                    self.poll(region, b.name)
                    for b in self.topology.global_buckets
                    for region in self.clients
                )
                self.error = None
            except Exception as exc:  # an endpoint is down: try again next round
                self.error = f"{type(exc).__name__}: {exc}"

    def rules(self, region: str, bucket: str) -> list[Rule]:
        """The bucket's stored rules (through the endpoint: moto's GetBucketReplication answer
        always says DeleteMarkerReplication Disabled); none when replication is not configured."""
        bucket = urllib.parse.quote(bucket)
        config = self._ext(region, f"s3/replication-config?bucket={bucket}", None, "GET")
        out = []
        for r in config.get("Rules", []):
            if r.get("Status") != "Enabled":
                continue
            prefix = (r.get("Filter") or {}).get("Prefix", r.get("Prefix", "")) or ""
            dest = r["Destination"]["Bucket"].rsplit(":", 1)[-1]
            markers = (r.get("DeleteMarkerReplication") or {}).get("Status") == "Enabled"
            out.append(Rule(prefix, dest, markers))
        return out

    def poll(self, region: str, name: str = naming.ASSETS_BUCKET) -> int:
        """Replicate what is new in `region`'s bucket `name`; returns how many versions wait."""
        s3 = self.clients[region].s3
        bucket = naming.bucket(self.topology, region, name=name)
        seen = self.seen[bucket]
        rules: list[Rule] | None = None
        waiting = 0
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            entries: list[tuple[Any, bool]] = [(v, False) for v in page.get("Versions", [])]
            entries += [(m, True) for m in page.get("DeleteMarkers", [])]
            for entry, is_marker in entries:
                vid = entry["VersionId"]
                if vid in seen:
                    continue
                if rules is None:
                    rules = self.rules(region, bucket)
                key = entry["Key"]
                done = (
                    self._marker(region, bucket, key, vid, rules)
                    if is_marker
                    else self._version(region, bucket, key, vid, rules, entry)
                )
                if done:
                    seen.add(vid)
                else:
                    waiting += 1
        return waiting

    def _targets(self, region: str, key: str, rules: list[Rule]) -> list[tuple[str, str, Rule]]:
        out = []
        for rule in rules:
            dest_region = self.bucket_region.get(rule.destination_bucket)
            if key.startswith(rule.prefix) and dest_region and dest_region != region:
                out.append((dest_region, rule.destination_bucket, rule))
        return out

    def _version(
        self, region: str, bucket: str, key: str, vid: str, rules: list[Rule], entry: Any
    ) -> bool:
        s3 = self.clients[region].s3
        head = s3.head_object(Bucket=bucket, Key=key, VersionId=vid)
        if head.get("ReplicationStatus") != "PENDING":
            return True  # a replica, already completed, or older than the configuration
        complete = True
        body: bytes | None = None
        for dest_region, dest_bucket, _ in self._targets(region, key, rules):
            if self.partitions.blocked(region, dest_region):
                complete = False
                continue
            if body is None:
                body = s3.get_object(Bucket=bucket, Key=key, VersionId=vid)["Body"].read()
            metadata = {f"x-amz-meta-{k}": v for k, v in head.get("Metadata", {}).items()}
            if head.get("ContentType"):
                metadata["Content-Type"] = head["ContentType"]
            q = urllib.parse.urlencode({"bucket": dest_bucket, "key": key, "version_id": vid})
            self._ext(dest_region, f"s3/replica?{q}", body, "PUT", json.dumps(metadata))
        if complete:
            self._ext(
                region,
                "s3/status",
                json.dumps(
                    {"bucket": bucket, "key": key, "version_id": vid, "status": "COMPLETED"}
                ).encode(),
                "POST",
            )
            self.replicated += 1
            lag = time.time() * 1000 - entry["LastModified"].timestamp() * 1000
            self.max_lag_ms = max(self.max_lag_ms, lag)
            self.events.emit(
                "object-replicated", f"s3://{bucket}/{key} version {vid}", region=region
            )
        return complete

    def _marker(self, region: str, bucket: str, key: str, vid: str, rules: list[Rule]) -> bool:
        complete = True
        for dest_region, dest_bucket, rule in self._targets(region, key, rules):
            if not rule.delete_markers:
                continue
            if self.partitions.blocked(region, dest_region):
                complete = False
                continue
            body = json.dumps({"bucket": dest_bucket, "key": key, "version_id": vid}).encode()
            result = self._ext(dest_region, "s3/replica-delete-marker", body, "POST")
            if not result.get("existed"):
                self.events.emit(
                    "delete-marker-replicated",
                    f"s3://{dest_bucket}/{key} marker {vid}",
                    region=region,
                )
        return complete

    def _ext(
        self, region: str, route: str, body: bytes | None, method: str, metadata: str | None = None
    ) -> dict[str, Any]:
        req = urllib.request.Request(  # noqa: S310 - the endpoint is loopback (settings check)
            f"{self.endpoints[region]}/_polyregion/{route}", data=body, method=method
        )
        if metadata is not None:
            req.add_header("X-Polyregion-Metadata", metadata)
        with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310
            return json.loads(resp.read() or b"{}")  # type: ignore[no-any-return]
