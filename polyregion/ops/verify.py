"""`polyregion verify`: check a running app against the contract, rule by rule, with the fix.

The rules (docs/your-app.md, "Verify"), each checked against the sandbox the way Route 53,
CloudFront and a user in another region would see the app:

- `health`: every region's origin answers the health path 200 within 2 s;
- `health-degraded-down` / `health-degraded-slow`: with the region's DynamoDB endpoint down
  (refusing) or slow (hanging), the health path answers 503, each answer within 2 s;
- `recovery`: after the fault is healed, 200 again;
- `replication`: a `[drill.write]` through one region lands in the declared global tables and
  buckets it uses, and each of them shows it in every other region's endpoint within the lag
  bound (read directly, not through the app);
- `cross-region-read`: that write reads back (`read_back`) through every other region's
  origin within the lag bound;
- `origin-verify`: a direct origin request without the origin-verify header, or with a wrong
  value, is refused; with the right value it is served.

Collaborators (sandbox control, HTTP client, per-region AWS clients, clock, sleep) are
injected: the unit tests drive the rules against fakes, the functional tests against a real
sandbox running a good and a deliberately broken app.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, Protocol

from polyregion.data.clients import RegionClients
from polyregion.ops.cleanup import holds, remove_drill_records
from polyregion.ops.workload import Workload, record_id, run_prefix
from polyregion.sandbox.status_types import SandboxStatus
from polyregion.topology import naming
from polyregion.topology.model import Topology

if TYPE_CHECKING:
    import httpx

HEALTH_BUDGET_S = 2.0  # Route 53's response timeout: a slower answer is a failed probe
DEGRADE_WITHIN_S = 8.0  # health result caches + the app's dependency timeout + slack
RECOVER_WITHIN_S = 15.0
Verdict = Literal["pass", "fail", "skip"]


class Control(Protocol):
    def status(self) -> SandboxStatus: ...
    def fault(self, action: str, **args: Any) -> Any: ...


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    verdict: Verdict
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.name, "result": self.verdict, "detail": self.detail, "fix": self.fix}


@dataclass(frozen=True, slots=True)
class Resource:
    """A declared table or bucket: its declared name, scope, and physical name per region."""

    kind: Literal["table", "bucket"]
    name: str
    scope: str  # "global" | "regional"
    physical: Mapping[str, str]  # region -> physical name


@dataclass
class Verifier:
    control: Control
    http: httpx.Client
    health_path: str
    workload: Workload
    resources: tuple[Resource, ...]
    clients: Mapping[str, RegionClients]
    app_name: str
    verify_header: str
    verify_value: str | None  # None: the sandbox runs the origin open
    region: str  # the region faulted and written through
    lag_bound_s: float = 5.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    poll_s: float = 0.1
    rules: list[Rule] = field(default_factory=list)

    # -- helpers ------------------------------------------------------------------------------
    def origins(self) -> dict[str, str]:
        return {r["name"]: r["origin_url"].rstrip("/") for r in self.control.status()["regions"]}

    def headers(self, value: str | None = "") -> dict[str, str]:
        """The origin-verify header as an edge sends it ("" = the right value)."""
        if value == "":
            value = self.verify_value
        return {} if value is None else {self.verify_header: value}

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> tuple[int | None, float]:
        """(status or None on a connection error/timeout, seconds taken)."""
        import httpx

        start = self.clock()
        try:
            resp = self.http.get(url, headers=dict(headers or {}), timeout=HEALTH_BUDGET_S + 1)
        except httpx.HTTPError:
            return None, self.clock() - start
        return resp.status_code, self.clock() - start

    def add(self, name: str, verdict: Verdict, detail: str, fix: str = "") -> Rule:
        rule = Rule(name, verdict, detail, fix if verdict == "fail" else "")
        self.rules.append(rule)
        return rule

    def until(self, predicate: Callable[[], bool], within_s: float) -> float | None:
        """Seconds until `predicate()` held, or None after `within_s`."""
        start = self.clock()
        while True:
            if predicate():
                return self.clock() - start
            if self.clock() - start > within_s:
                return None
            self.sleep(self.poll_s)

    # -- the rules ----------------------------------------------------------------------------
    def run(self) -> list[Rule]:
        self.check_health()
        self.check_degraded()
        self.check_writes()
        self.check_origin_verify()
        return self.rules

    def check_health(self) -> None:
        bad = []
        for region, url in self.origins().items():
            status, took = self.get(url + self.health_path, self.headers())
            if status != 200 or took > HEALTH_BUDGET_S:
                bad.append(f"{region}: {status or 'no answer'} in {took:.2f} s")
        self.add(
            "health",
            "fail" if bad else "pass",
            "; ".join(bad) or f"{self.health_path} answers 200 within 2 s in every region",
            f"answer GET {self.health_path} with 200 within 2 s when the app and its "
            "dependencies work (polyregion.kit.health gives a bounded, cached deep check)",
        )

    def check_degraded(self) -> None:
        if not any(r.kind == "table" for r in self.resources):
            for mode in ("down", "slow"):
                self.add(f"health-degraded-{mode}", "skip", "no [[tables]] declared")
            self.add("recovery", "skip", "no [[tables]] declared")
            return
        url = self.origins()[self.region] + self.health_path
        healed = True
        for mode in ("down", "slow"):
            self.control.fault("dependency", region=self.region, dependency="dynamodb", mode=mode)
            try:
                slow: list[float] = []

                def degraded(url: str = url, slow: list[float] = slow) -> bool:
                    status, took = self.get(url, self.headers())
                    if took > HEALTH_BUDGET_S:
                        slow.append(took)
                    return status == 503

                took = self.until(degraded, DEGRADE_WITHIN_S)
            finally:
                self.control.fault(
                    "dependency", region=self.region, dependency="dynamodb", mode="up"
                )
            if took is None or slow:
                why = (
                    f"an answer took {max(slow):.2f} s (over 2 s: Route 53 counts a timeout)"
                    if slow
                    else f"never answered 503 within {DEGRADE_WITHIN_S:g} s"
                )
                self.add(
                    f"health-degraded-{mode}",
                    "fail",
                    f"{self.region} DynamoDB {mode}: {why}",
                    "check every declared table in the health handler with a timeout under "
                    "2 s (e.g. a 1 s GetItem or DescribeTable) and answer 503 when one fails",
                )
            else:
                self.add(
                    f"health-degraded-{mode}",
                    "pass",
                    f"{self.region} DynamoDB {mode}: health said 503 {took:.2f} s after the "
                    f"fault, each answer in under {HEALTH_BUDGET_S:g} s",
                )
            back = self.until(lambda: self.get(url, self.headers())[0] == 200, RECOVER_WITHIN_S)
            healed = healed and back is not None
        self.add(
            "recovery",
            "pass" if healed else "fail",
            f"{self.region}: 200 again after the fault was healed"
            if healed
            else f"{self.region}: still not 200 {RECOVER_WITHIN_S:g} s after the heal",
            "do not cache a failed health result for long (a second or two), and rebuild "
            "AWS clients or connections that failed instead of keeping them broken",
        )

    def check_writes(self) -> None:
        if not self.workload.writes:
            for name in ("replication", "cross-region-read"):
                self.add(name, "skip", "no [drill.write] in the topology: writes not checked")
            return
        run = secrets.token_hex(3)
        rid = record_id(run, "verify", 0)
        origins = self.origins()
        others = [r for r in origins if r != self.region]
        req = self.workload.write_request(rid)
        import httpx

        try:
            resp = self.http.request(
                req.method,
                origins[self.region] + req.path,
                content=req.body,
                headers={"content-type": req.content_type, **self.headers()},
            )
            status: int | None = resp.status_code
        except httpx.HTTPError:
            status = None
        try:
            if status is None or not 200 <= status < 300:
                for name in ("replication", "cross-region-read"):
                    self.add(
                        name,
                        "fail",
                        f"[drill.write] through {self.region} answered {status or 'nothing'}",
                        "[drill.write] must be a request the app accepts without a session "
                        "and answers 2xx (docs/your-app.md)",
                    )
                return
            self._check_replication(rid, others)
            self._check_cross_region_read(rid, origins, others)
        finally:
            remove_drill_records(self.app_name, self.clients, run_prefix(run))

    def _holders(self, rid: str, region: str) -> list[Resource]:
        """Declared tables/buckets that hold the record in `region`'s endpoint."""
        out = []
        for res in self.resources:
            name = res.physical.get(region)
            if name is not None and _holds(self.clients[region], res.kind, name, rid):
                out.append(res)
        return out

    def _check_replication(self, rid: str, others: list[str]) -> None:
        used = self._holders(rid, self.region)
        glob = [r for r in used if r.scope == "global"]
        unused = [
            f"{r.kind} {r.name}" for r in self.resources if r.scope == "global" and r not in used
        ]
        note = (
            f" (not written by [drill.write], so not observed: {', '.join(unused)})"
            if unused
            else ""
        )
        if not glob:
            self.add(
                "replication",
                "fail" if not used else "skip",
                f"the write through {self.region} landed in no declared global table or "
                f"bucket{note}",
                "write to the physical names the sandbox gives you (POLYREGION_TABLE_<NAME>, "
                "POLYREGION_BUCKET_<NAME>) through AWS_ENDPOINT_URL",
            )
            return
        late = []
        for res in glob:
            for dst in others:
                there = partial(_holds, self.clients[dst], res.kind, res.physical[dst], rid)
                if self.until(there, self.lag_bound_s) is None:
                    late.append(f"{res.kind} {res.name} not in {dst}")
        shown = ", ".join(f"{r.kind} {r.name}" for r in glob)
        self.add(
            "replication",
            "fail" if late else "pass",
            ("; ".join(late) + f" within {self.lag_bound_s:g} s")
            if late
            else f"{shown}: in every region within {self.lag_bound_s:g} s{note}",
            'declare the table or bucket with scope = "global"; write only through the '
            "region's own endpoint (the replicator ships the change)",
        )

    def _check_cross_region_read(
        self, rid: str, origins: Mapping[str, str], others: list[str]
    ) -> None:
        path = self.workload.read_back_path(rid)
        late = []
        worst = 0.0
        for dst in others:
            url = origins[dst] + path

            def readable(url: str = url) -> bool:
                return (self.get(url, self.headers())[0] or 0) // 100 == 2

            took = self.until(readable, self.lag_bound_s)
            if took is None:
                late.append(dst)
            else:
                worst = max(worst, took)
        self.add(
            "cross-region-read",
            "fail" if late else "pass",
            f"{path} not readable through {', '.join(late)} within {self.lag_bound_s:g} s"
            if late
            else f"written through {self.region}, read back elsewhere after {worst:.2f} s",
            "read the record from the declared global table in the serving region; do not "
            "keep it in process memory or a regional table",
        )

    def check_origin_verify(self) -> None:
        if self.verify_value is None:
            self.add("origin-verify", "skip", "the sandbox runs this origin open (no secret)")
            return
        path = next((p for p in self.workload.read_paths if p != self.health_path), "/")
        url = self.origins()[self.region] + path
        without, _ = self.get(url, {})
        wrong, _ = self.get(url, self.headers("not-the-secret"))
        right, _ = self.get(url, self.headers())
        refused = {401, 403}
        ok = without in refused and wrong in refused and right not in refused
        self.add(
            "origin-verify",
            "pass" if ok else "fail",
            f"GET {path} on the {self.region} origin: without the header {without}, "
            f"wrong value {wrong}, right value {right}",
            f"refuse (403) every request whose {self.verify_header} header does not match "
            "the secret POLYREGION_ORIGIN_VERIFY_SECRET names, except the health path "
            "(polyregion.kit's origin-verify middleware)",
        )


def _holds(c: RegionClients, kind: str, name: str, rid: str) -> bool:
    """Whether a table (any string attribute) or bucket (any key) holds the record."""
    try:
        if kind == "table":
            kwargs: dict[str, Any] = {"TableName": name}
            while True:
                scanned = c.dynamodb.scan(**kwargs)
                if any(holds(item, rid) for item in scanned.get("Items", [])):
                    return True
                if "LastEvaluatedKey" not in scanned:
                    return False
                kwargs["ExclusiveStartKey"] = scanned["LastEvaluatedKey"]
        for listed in c.s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            if any(rid in o["Key"] for o in listed.get("Contents", [])):
                return True
        return False
    except Exception:  # a missing table or an endpoint that does not answer holds nothing
        return False


def failed(rules: list[Rule]) -> list[Rule]:
    return [r for r in rules if r.verdict == "fail"]


def resources(topology: Topology, regions: list[str]) -> tuple[Resource, ...]:
    """The declared tables and buckets with their physical names (topology.naming)."""
    tables = tuple(
        Resource(
            "table", t.name, str(t.scope), {r: naming.table(topology, t.name) for r in regions}
        )
        for t in topology.tables
    )
    buckets = tuple(
        Resource(
            "bucket",
            b.name,
            str(b.scope),
            {r: naming.bucket(topology, r, name=b.name) for r in regions},
        )
        for b in topology.buckets
    )
    return tables + buckets


def origin_verify_value(topology: Topology, clients: RegionClients) -> str | None:
    """The value the edges send, from the region's Secrets Manager; None when not set up."""
    try:
        out = clients.secretsmanager.get_secret_value(
            SecretId=naming.origin_verify_secret(topology)
        )
    except Exception:  # no secret: the sandbox runs the origin open
        return None
    return str(out["SecretString"])


def verifier_for(
    topology: Topology,
    control: Control,
    http: httpx.Client,
    *,
    region: str | None = None,
    lag_bound_s: float = 5.0,
) -> Verifier:
    """A Verifier for the running sandbox of `topology`."""
    from polyregion.ops.sandbox_target import _session

    status = control.status()
    session = _session()
    clients = {
        r["name"]: RegionClients(r["name"], r["aws_endpoint"], session=session)
        for r in status["regions"]
    }
    victim = region or topology.primary.name
    return Verifier(
        control=control,
        http=http,
        health_path=topology.health.path,
        workload=Workload.of(topology),
        resources=resources(topology, list(clients)),
        clients=clients,
        app_name=topology.name,
        verify_header=topology.origin.verify_header,
        verify_value=origin_verify_value(topology, clients[victim]),
        region=victim,
        lag_bound_s=lag_bound_s,
    )
