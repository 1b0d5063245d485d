"""Secret replication: the primary region's session secret, every version and stage, everywhere.

Secrets Manager replicates a primary secret to replica regions with the same name, value and
version ids, and moves staging labels (AWSCURRENT, AWSPREVIOUS) as rotations happen; replicas
are read-only. Here the replicator copies each staged version of the primary with its version
id (PutSecretValue's ClientRequestToken is the version id) and then moves the labels to match.
Its requests carry REPLICATOR_HEADER, the only writes a replica endpoint accepts (endpoint.py).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from polyregion.data.clients import RegionClients
from polyregion.replication.endpoint import REPLICATOR_HEADER
from polyregion.replication.events import EventLog
from polyregion.replication.links import Partitions
from polyregion.topology import naming
from polyregion.topology.model import Topology


def _as_replicator(request: Any, **_: Any) -> None:
    request.headers[REPLICATOR_HEADER] = "1"


def _versions(sm: Any, name: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    kwargs: dict[str, Any] = {"SecretId": name}
    while True:  # not a paginator in botocore: follow NextToken by hand
        page = sm.list_secret_version_ids(**kwargs)
        for v in page["Versions"]:
            out[v["VersionId"]] = list(v.get("VersionStages", []))
        if not page.get("NextToken"):
            return out
        kwargs["NextToken"] = page["NextToken"]


class SecretReplication:
    def __init__(
        self,
        topology: Topology,
        clients: Mapping[str, RegionClients],
        partitions: Partitions,
        events: EventLog,
        endpoints: Mapping[str, str],
    ) -> None:
        self.endpoints = endpoints
        self.name = naming.session_secret(topology)
        self.primary = topology.primary.name
        self.clients = clients
        self.partitions = partitions
        self.events = events
        self.current: dict[str, str | None] = dict.fromkeys(clients)
        self.error: str | None = None
        for c in clients.values():
            c.secretsmanager.meta.events.register("before-sign.secrets-manager", _as_replicator)

    def status(self) -> dict[str, Any]:
        currents = set(self.current.values())
        return {
            "primary": self.primary,
            "current_version": dict(self.current),
            "in_sync": len(currents) == 1 and None not in currents,
            "error": self.error,
        }

    def run(self, wait: Callable[[float], bool], interval_s: float) -> None:
        while True:
            try:
                self.sync()
                self.error = None
            except Exception as exc:  # an endpoint is down: try again next round
                self.error = f"{type(exc).__name__}: {exc}"
            if wait(interval_s):
                return

    def sync(self) -> None:
        source = self.clients[self.primary].secretsmanager
        wanted = {v: s for v, s in _versions(source, self.name).items() if s}
        self.current[self.primary] = next((v for v, s in wanted.items() if "AWSCURRENT" in s), None)
        for region, c in self.clients.items():
            if region == self.primary or self.partitions.blocked(self.primary, region):
                continue
            self._declare_replica(region)
            self._sync_replica(region, c.secretsmanager, source, wanted)

    def _declare_replica(self, region: str) -> None:
        """Tell the region's endpoint this secret is a read-only replica (endpoint.py)."""
        body = json.dumps({"name": self.name, "primary": self.primary}).encode()
        url = f"{self.endpoints[region]}/_polyregion/secrets/replica"
        req = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 - loopback
        with urllib.request.urlopen(req, timeout=5):  # noqa: S310
            pass

    def _sync_replica(
        self, region: str, sm: Any, source: Any, wanted: dict[str, list[str]]
    ) -> None:
        try:
            have = _versions(sm, self.name)
        except sm.exceptions.ResourceNotFoundException:
            have = {}
        for vid, stages in wanted.items():
            if vid in have:
                continue
            value = source.get_secret_value(SecretId=self.name, VersionId=vid)
            payload = (
                {"SecretString": value["SecretString"]}
                if "SecretString" in value
                else {"SecretBinary": value["SecretBinary"]}
            )
            if not have:
                sm.create_secret(Name=self.name, ClientRequestToken=vid, **payload)
            else:
                sm.put_secret_value(
                    SecretId=self.name, ClientRequestToken=vid, VersionStages=stages, **payload
                )
            have = _versions(sm, self.name)
            self.events.emit(
                "secret-replicated",
                f"{self.name} version {vid} ({', '.join(stages)}) replicated to {region}",
                region=region,
            )
        # Move the labels to where the primary has them; AWSCURRENT first (moving it also
        # moves AWSPREVIOUS, as on AWS), then the rest.
        labels = sorted({s for st in wanted.values() for s in st}, key=lambda s: s != "AWSCURRENT")
        for label in labels:
            target = next(v for v, st in wanted.items() if label in st)
            holder = next((v for v, st in have.items() if label in st), None)
            if holder == target:
                continue
            kwargs: dict[str, Any] = {"SecretId": self.name, "VersionStage": label}
            kwargs["MoveToVersionId"] = target
            if holder is not None:
                kwargs["RemoveFromVersionId"] = holder
            sm.update_secret_version_stage(**kwargs)
            have = _versions(sm, self.name)
        self.current[region] = next((v for v, s in have.items() if "AWSCURRENT" in s), None)
