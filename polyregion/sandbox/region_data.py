"""The regions' data for one sandbox run: provisioned at start, restored from the last run's
snapshot (or fresh), snapshotted again at a clean stop. See snapshot.py for the file format.

Every region gets the same session secret (as Secrets Manager replication gives): the kept one
when a snapshot has it, so signed-in users stay signed in across `down`/`up`.
"""

from __future__ import annotations

import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from polyregion.data.clients import clients_for
from polyregion.data.provision import provision_region
from polyregion.sandbox.plan import SandboxPlan
from polyregion.sandbox.snapshot import Counts, SnapshotStore, counts, read_region, write_region
from polyregion.sandbox.status_types import DataJSON
from polyregion.topology import naming
from polyregion.topology.model import Topology


class RegionData:
    def __init__(
        self,
        topology: Topology,
        plan: SandboxPlan,
        run_dir: Path,
        *,
        origin_verify_value: str,
        fresh: bool = False,
    ) -> None:
        self.topology = topology
        self.plan = plan
        self.store = SnapshotStore(run_dir)
        self.origin_verify_value = origin_verify_value
        self.fresh = fresh
        self.session_secret = secrets.token_urlsafe(48)
        self.ready = False  # provisioned (and restored): only then is a stop's snapshot valid
        self._status: DataJSON = {
            "mode": "fresh" if fresh else "new", "snapshot_dir": str(self.store.path),
            "restored_from": None, "restored": None, "kept_at": None, "kept": None,
        }  # fmt: skip

    # -- start ---------------------------------------------------------------------------------
    def provision(self) -> str:
        """Provision every region, then restore its snapshot. Blocking (threads). Returns the
        sentence `up` shows: which of fresh / restored / nothing to restore happened."""
        snapshots: dict[str, dict[str, Any]] = {}
        if self.fresh:
            discarded = self.store.discard()
            message = f"--fresh: started empty ({discarded} region snapshots discarded)"
        else:
            for r in self.plan.regions:
                if (snap := self.store.load(r.name)) is not None:
                    snapshots[r.name] = snap
            name = naming.session_secret(self.topology)
            kept = [s["secrets"][name] for s in snapshots.values() if name in s.get("secrets", {})]
            if kept:
                self.session_secret = kept[0]
            message = "no data kept from a previous run: started empty"
        with ThreadPoolExecutor(len(self.plan.regions)) as pool:
            for f in [pool.submit(self.provision_region, r.name) for r in self.plan.regions]:
                f.result()
            restored = list(
                pool.map(
                    lambda r: write_region(clients_for(r, self.plan.aws_endpoints), snapshots[r]),
                    list(snapshots),
                )
            )
        self.ready = True
        if snapshots:
            total = sum(restored, Counts())
            taken = min(s.get("taken_at", 0.0) for s in snapshots.values())
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(taken))
            message = f"data kept from the previous run restored ({total}; snapshot of {when})"
            self._status["mode"], self._status["restored_from"] = "restored", taken
            self._status["restored"] = total.to_json()
        return message

    def provision_region(self, region: str) -> None:
        provision_region(
            self.topology,
            region,
            clients_for(region, self.plan.aws_endpoints),
            secret_value=self.session_secret,
            origin_verify_value=self.origin_verify_value,
        )

    # -- stop ----------------------------------------------------------------------------------
    def keep(self) -> str | None:
        """Snapshot every region (blocking). None when the regions never became ready: an
        aborted start must not replace the last good snapshot with nothing."""
        if not self.ready:
            return None
        names = [naming.session_secret(self.topology)]
        with ThreadPoolExecutor(len(self.plan.regions)) as pool:
            taken = dict(
                zip(
                    [r.name for r in self.plan.regions],
                    pool.map(
                        lambda r: read_region(clients_for(r, self.plan.aws_endpoints), names),
                        [r.name for r in self.plan.regions],
                    ),
                    strict=True,
                )
            )
        for region, snap in taken.items():
            self.store.save(region, snap)
        total = sum((counts(s) for s in taken.values()), Counts())
        self._status["kept_at"], self._status["kept"] = time.time(), total.to_json()
        return f"data kept for the next `up` ({total}) in {self.store.path}"

    def status(self) -> DataJSON:
        return self._status
