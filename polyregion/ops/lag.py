"""`polyregion lag`: how long a write in one region takes to appear in each other region.

Markers (global-table items, bucket objects, session-secret versions) are written in a region
and polled for in every other region through that region's own endpoint, so what is measured is
what a user there would see. The same code runs against the sandbox (per-region moto endpoints)
and real AWS (the user's credentials); on AWS, CloudWatch's ReplicationLatency is read too.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from polyregion.data.clients import RegionClients
from polyregion.errors import ConfigError
from polyregion.ops.aws_endpoints import AwsEndpoints
from polyregion.ops.measure import percentile
from polyregion.topology import naming
from polyregion.topology.model import Topology

if TYPE_CHECKING:
    from polyregion.topology.model import TableSpec

KINDS = ("items", "objects", "secrets")
MARKER_PK = "polyregion#lag"
OBJECT_PREFIX = "_polyregion/lag/"
SECRET_SAMPLES = 1  # a new session-secret version: the app keeps accepting the previous one


def parse_kinds(raw: str) -> tuple[str, ...]:
    kinds = tuple(k.strip() for k in raw.split(",") if k.strip())
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        raise ConfigError("--kinds", raw, f"a comma list of {', '.join(KINDS)}")
    return kinds


@dataclass
class LagProbe:
    """Per-region clients and names: everything the lag measurement touches."""

    topology: Topology
    clients: Mapping[str, RegionClients]
    buckets: Mapping[str, Mapping[str, str]]  # declared global bucket -> region -> name
    target: str
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    poll_s: float = 0.02
    spacing_s: float = 0.1  # between two rounds of markers
    timeout_s: float = 30.0
    injected_ms: float | None = None  # the sandbox's configured delay, for comparison

    @property
    def tables(self) -> tuple[TableSpec, ...]:
        """Every declared global table: each one's lag is measured (regional ones never
        replicate)."""
        return tuple(self.topology.global_tables)


def sandbox_probe(topology: Topology, control: Any) -> LagProbe:
    from polyregion.ops.sandbox_target import _session

    status = control.status()
    session = _session()
    regions = status["regions"]
    return LagProbe(
        topology,
        {r["name"]: RegionClients(r["name"], r["aws_endpoint"], session=session) for r in regions},
        _buckets(topology, [r["name"] for r in regions]),
        "sandbox",
        injected_ms=topology.sandbox.replication_delay_ms,
    )


def _buckets(
    topology: Topology, regions: Iterable[str], account: str | None = None
) -> dict[str, dict[str, str]]:
    """Declared global bucket -> region -> physical name (topology.naming)."""
    return {
        b.name: {r: naming.bucket(topology, r, account, name=b.name) for r in regions}
        for b in topology.global_buckets
    }


def aws_probe(
    topology: Topology, account: str | None = None, endpoints: AwsEndpoints | None = None
) -> LagProbe:
    """On AWS bucket names carry the account id (naming.bucket): asked from STS if not given.
    With endpoint overrides (a stand-in for AWS) the account is the overrides' own."""
    endpoints = endpoints or AwsEndpoints()
    if endpoints.overridden:
        account = endpoints.bucket_account
    elif account is None:
        import boto3

        account = boto3.client("sts").get_caller_identity()["Account"]
    names = topology.region_names
    return LagProbe(
        topology,
        {r: endpoints.region_clients(r) for r in names},
        _buckets(topology, names, account),
        "aws",
        poll_s=0.1,
        spacing_s=0.5,
        timeout_s=120.0,
    )


@dataclass
class _Pending:
    src: str
    key: str
    written_at: float
    waiting: set[str]
    seen: dict[str, float] = field(default_factory=dict)


def _poll_until_seen(
    probe: LagProbe,
    pending: list[_Pending],
    present: Callable[[str, list[_Pending]], set[str]],
    write: Callable[[int], list[_Pending]] | None = None,
    samples: int = 0,
) -> None:
    """Poll every destination until each marker is seen (or the timeout), writing the next
    round of markers (`write(i)`) every `spacing_s` meanwhile: spaced writes measure the lag
    of one change, where a burst would measure the replicator's queue."""
    written = 0 if write else samples
    next_write = probe.clock()
    deadline: float | None = None
    while True:
        if written < samples and write is not None and probe.clock() >= next_write:
            pending.extend(write(written))
            written += 1
            next_write = probe.clock() + probe.spacing_s
        for dst in probe.clients:
            want = [p for p in pending if dst in p.waiting]
            if not want:
                continue
            found = present(dst, want)
            now = probe.clock()
            for p in want:
                if p.key in found:
                    p.waiting.discard(dst)
                    p.seen[dst] = now - p.written_at
        if written >= samples:
            deadline = deadline or probe.clock() + probe.timeout_s
            if not any(p.waiting for p in pending) or probe.clock() > deadline:
                return
        probe.sleep(probe.poll_s)


def marker_key(table: TableSpec, key: str, n: int) -> dict[str, Any]:
    """The DynamoDB key of a lag marker in any table, from its declared key schema: string
    keys carry the marker (`polyregion#lag#...`), numeric ones a unique negative number."""

    def value(attr: str, text: str) -> dict[str, str]:
        if attr in table.numeric_attributes:
            return {"N": str(-(n + 1))}
        return {"S": text}

    out = {table.partition_key: value(table.partition_key, f"{MARKER_PK}#{key}")}
    if table.sort_key:
        out = {
            table.partition_key: value(table.partition_key, MARKER_PK),
            table.sort_key: value(table.sort_key, key),
        }
    return out


def _items(probe: LagProbe, run: str, samples: int, spec: TableSpec) -> list[_Pending]:
    regions = list(probe.clients)
    table = naming.table(probe.topology, spec.name)
    pending: list[_Pending] = []
    keys: dict[str, dict[str, Any]] = {}  # marker -> its DynamoDB key

    def write(i: int) -> list[_Pending]:
        out = []
        for src in regions:
            key = f"{run}#{src}#{i:04d}"
            keys[key] = marker_key(spec, key, len(keys))
            now_ms = int(probe.clock() * 1000)
            probe.clients[src].dynamodb.put_item(
                TableName=table,
                Item={
                    **keys[key],
                    # stamped like the app's writes, so last-writer-wins applies as usual
                    naming.UPDATED_AT: {"N": str(now_ms)},
                    naming.UPDATED_REGION: {"S": src},
                    naming.VERSION: {"N": "1"},
                },
            )
            out.append(_Pending(src, key, probe.clock(), {r for r in regions if r != src}))
        return out

    names = [a for a in (spec.partition_key, spec.sort_key) if a]

    def present(dst: str, want: list[_Pending]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(want), 100):  # BatchGetItem takes 100 keys
            batch = {_frozen(keys[p.key]): p.key for p in want[start : start + 100]}
            out = probe.clients[dst].dynamodb.batch_get_item(
                RequestItems={table: {"Keys": [keys[m] for m in batch.values()]}}
            )
            for item in out["Responses"].get(table, []):
                marker = batch.get(_frozen({a: item[a] for a in names}))
                if marker is not None:
                    found.add(marker)
        return found

    _poll_until_seen(probe, pending, present, write, samples)
    for p in pending:  # tidy up: the deletes replicate like the writes did
        probe.clients[p.src].dynamodb.delete_item(TableName=table, Key=keys[p.key])
    return pending


def _frozen(key: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """A DynamoDB key as a hashable value (attribute, typed value)."""
    return tuple(sorted((a, repr(sorted(v.items()))) for a, v in key.items()))


def _objects(probe: LagProbe, run: str, samples: int, name: str) -> list[_Pending]:
    regions = list(probe.clients)
    buckets = probe.buckets[name]
    pending: list[_Pending] = []

    def write(i: int) -> list[_Pending]:
        out = []
        for src in regions:
            key = f"{OBJECT_PREFIX}{run}/{src}/{i:04d}"
            probe.clients[src].s3.put_object(Bucket=buckets[src], Key=key, Body=b"lag")
            out.append(_Pending(src, key, probe.clock(), {r for r in regions if r != src}))
        return out

    def present(dst: str, want: list[_Pending]) -> set[str]:
        out = probe.clients[dst].s3.list_objects_v2(
            Bucket=buckets[dst], Prefix=f"{OBJECT_PREFIX}{run}/"
        )
        return {o["Key"] for o in out.get("Contents", [])}

    _poll_until_seen(probe, pending, present, write, samples)
    for p in pending:
        probe.clients[p.src].s3.delete_object(Bucket=buckets[p.src], Key=p.key)
    return pending


def _secrets(probe: LagProbe, run: str, samples: int) -> list[_Pending]:
    """New versions of the session secret (same value) in the primary, polled in replicas."""
    name = naming.session_secret(probe.topology)
    primary = probe.topology.primary.name
    others = [r for r in probe.clients if r != primary]
    pending: list[_Pending] = []
    sm = probe.clients[primary].secretsmanager
    for _ in range(min(samples, SECRET_SAMPLES)):
        # Same value, new version: sessions keep verifying (the app accepts the previous one).
        value = sm.get_secret_value(SecretId=name)["SecretString"]
        version = sm.put_secret_value(SecretId=name, SecretString=value)["VersionId"]
        p = _Pending(primary, version, probe.clock(), set(others))
        pending.append(p)
        # Replicas keep the primary's version ids: the version is there once it is current.
        _poll_until_seen(probe, [p], _current_secret_version(probe, name))
    return pending


def _current_secret_version(
    probe: LagProbe, name: str
) -> Callable[[str, list[_Pending]], set[str]]:
    def present(dst: str, want: list[_Pending]) -> set[str]:
        current = probe.clients[dst].secretsmanager.get_secret_value(SecretId=name)["VersionId"]
        return {w.key for w in want if w.key == current}

    return present


def stats(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0, "p50_ms": None, "p90_ms": None, "p99_ms": None, "max_ms": None}
    ms = [v * 1000 for v in values]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 1),
        "p90_ms": round(percentile(ms, 90), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1),
    }


def summarize(
    kind: str, pending: Iterable[_Pending], resource: str | None = None
) -> list[dict[str, Any]]:
    pairs: dict[tuple[str, str], list[float]] = {}
    missing: dict[tuple[str, str], int] = {}
    for p in pending:
        for dst, lag in p.seen.items():
            pairs.setdefault((p.src, dst), []).append(lag)
        for dst in p.waiting:
            missing[(p.src, dst)] = missing.get((p.src, dst), 0) + 1
    rows = []
    for src, dst in sorted(set(pairs) | set(missing)):
        rows.append(
            {
                "kind": kind,
                "resource": resource,  # the declared table or bucket (None: the secret)
                "from": src,
                "to": dst,
                "not_seen": missing.get((src, dst), 0),
                **stats(pairs.get((src, dst), [])),
            }
        )
    return rows


def measure_lag(
    probe: LagProbe,
    *,
    samples: int = 20,
    kinds: Iterable[str] = KINDS,
    on_step: Callable[[str], None] = lambda _name: None,
) -> dict[str, Any]:
    """`on_step(name)` is told each kind as its probing starts (the CLI's progress display)."""
    if samples < 1:
        raise ConfigError("--samples", samples, "must be at least 1")
    run = secrets.token_hex(4)
    rows: list[dict[str, Any]] = []
    for kind in kinds:
        on_step(f"{kind}: {samples} markers per region pair")
        if kind == "items":
            for table in probe.tables:
                rows.extend(summarize(kind, _items(probe, run, samples, table), table.name))
        elif kind == "objects":
            for bucket in probe.buckets:
                rows.extend(summarize(kind, _objects(probe, run, samples, bucket), bucket))
        else:
            rows.extend(summarize(kind, _secrets(probe, run, samples)))
    return {
        "target": probe.target,
        "samples": samples,
        "poll_ms": probe.poll_s * 1000,
        "injected_delay_ms": probe.injected_ms,
        "pairs": rows,
    }
