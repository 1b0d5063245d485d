"""Every scenario end to end against a real sandbox (fast profile), one sandbox per module.

The app is tests/ops/apps/notes_app.py, written only against the contract, driven through its
topology's `[drill]` and `[drill.write]`: nothing here knows the app. `polyregion up --detach
--fast` on free ports with a private run dir; always `polyregion down` afterwards. Bounds come
from the running profile: interval x threshold + probe timeout + TTL (5.5 s), plus slack for
this shared machine.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from polyregion.data.clients import RegionClients
from polyregion.ops.engine import Drill, plan_drill
from polyregion.ops.report import to_json
from polyregion.ops.result import DrillResult
from polyregion.ops.sandbox_target import SandboxTarget, _session
from polyregion.ops.scenarios import SCENARIOS, bind
from polyregion.ops.slo import Gates
from polyregion.ops.workload import ID_PREFIX
from polyregion.sandbox.client import SandboxClient
from polyregion.topology.load import load
from polyregion.topology.model import Topology
from tests.ops.apps.topology import DRILL_WRITE, notes_sandbox

pytestmark = pytest.mark.functional

SLACK_S = 4.0  # scheduling on a busy 2-core CI box; the measured figures are in the report
DELAY_MS = 150.0  # injected replication delay, checked by the lag test


def cli(
    config: Path, *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "polyregion.cli", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    tmp = tmp_path_factory.mktemp("drills")
    with notes_sandbox(tmp, replication_delay_ms=DELAY_MS, replication_jitter_ms=0.0) as sb:
        yield sb.config, sb.env


def drill_records(control: SandboxClient, topology: Topology) -> dict[str, int]:
    """Items with a drill id left in the app's table, per region (read from each endpoint)."""
    out = {}
    for r in control.status()["regions"]:
        ddb = RegionClients(r["name"], r["aws_endpoint"], session=_session()).dynamodb
        items = ddb.scan(TableName=f"{topology.name}-notes")["Items"]
        out[r["name"]] = sum(i["id"]["S"].startswith(ID_PREFIX) for i in items)
    return out


@pytest.fixture(scope="module")
def topology(sandbox: tuple[Path, dict[str, str]]) -> Topology:
    return load(sandbox[0])


@pytest.fixture
def control(topology: Topology) -> Iterator[SandboxClient]:
    with SandboxClient.for_topology(topology) as client:
        wait_healthy(client)
        yield client


def wait_healthy(client: SandboxClient, timeout_s: float = 30) -> dict[str, Any]:
    """Every region healthy and every location back on its nearest region (after a drill)."""
    deadline = time.monotonic() + timeout_s
    while True:
        status = client.status()
        healthy = all((r.get("health") or {}).get("healthy") for r in status["regions"])
        home = all(loc["region"] == loc["nearest"][0] for loc in status["locations"])
        if healthy and home:
            return status
        assert time.monotonic() < deadline, f"sandbox not healthy: {status['regions']}"
        time.sleep(0.2)


def needs_replicator(client: SandboxClient, timeout_s: float = 20.0) -> None:
    """Partition and lag need the replicator, which `up` always runs: its status is {} only
    until its first poll, so wait for it (never skip: a missing replicator is a failure)."""
    deadline = time.monotonic() + timeout_s
    while not client.status().get("replication"):
        assert time.monotonic() < deadline, f"no replication status within {timeout_s:.0f} s"
        time.sleep(0.1)


def explain(result: DrillResult) -> str:
    """What to look at when a bound is missed: per-location numbers and the event log."""
    doc = to_json(result)
    t0 = doc["fault_at"] or doc["started_at"]
    lines = [f"{loc['name']}: {loc}" for loc in doc["locations"]]
    lines += [
        f"{e['time'] - t0:+.2f} {e['source']} {e['kind']} {e['detail']}" for e in doc["events"]
    ]
    return "\n".join(lines)


def run_drill(
    topology: Topology, control: SandboxClient, scenario: str, **bind_args: str
) -> DrillResult:
    target = SandboxTarget(topology, control)
    try:
        sc = SCENARIOS[scenario]
        plan = plan_drill(target, sc, bind(sc, topology, **bind_args), Gates(max_lost_writes=0))
        return Drill(target, plan).run()
    finally:
        target.close()


def test_region_outage_via_the_cli_recovers_within_the_bound_on_the_survivor(
    sandbox: tuple[Path, dict[str, str]], control: SandboxClient, tmp_path: Path
) -> None:
    config, env = sandbox
    out = cli(config, "drill", "region-outage", "--json", "--report", str(tmp_path / "r"), env=env)
    doc = json.loads(out.stdout)
    # counted before the cleanup, which then removes every record of the run in every region
    assert "removed" in out.stderr and f"drill-{doc['run_id']}-" in out.stderr, out.stderr
    assert drill_records(control, load(config)) == {"us-east-1": 0, "eu-west-1": 0}
    assert doc["writes_measured"] is True and doc["availability_only"] is None
    # Exit 1 exactly when the lost-writes gate (0, from the topology) fails.
    assert out.returncode == (0 if doc["writes_lost"] == 0 else 1), out.stderr[-2000:]
    needs_replicator(control)
    # the app died, its endpoint did not: the replicator still ships every acked write
    assert doc["writes_lost"] == 0
    bound = doc["bound_s"]
    assert bound == 5.5  # fast profile: 1 s x 2 + 2.5 s probe timeout + 1 s TTL
    assert doc["bound"] == "1 s x 2 + 2.5 s + 1 s = 5.5 s"
    assert doc["rolled_back"] is True and doc["status"] == "completed"
    assert doc["rto_s"] is not None and doc["rto_s"] <= bound + SLACK_S, doc["rto_s"]
    by_name = {loc["name"]: loc for loc in doc["locations"]}
    ny = by_name["new-york"]
    assert ny["baseline_region"] == "us-east-1"
    assert ny["final_regions"] == ["eu-west-1"]  # every location ends on the survivor
    assert ny["requests_failed"] > 0 and ny["rto_s"] > 0  # the outage was real and measured
    assert by_name["paris"]["final_regions"] == ["eu-west-1"]
    assert doc["t_health_flip_s"] is not None and doc["t_health_flip_s"] <= 2.0 + SLACK_S
    assert ny["t_dns_change_s"] is not None and ny["t_dns_change_s"] <= ny["t_recovered_s"] + 0.5
    # the edge switches when its cached answer (TTL 1 s) expires, at most a TTL + a poll later
    assert ny["t_edge_change_s"] is not None
    assert ny["t_dns_change_s"] - 0.5 <= ny["t_edge_change_s"] <= ny["t_dns_change_s"] + 1.0 + 1.0
    assert doc["writes_acked"] > 0 and doc["writes_lost"] is not None
    assert doc["failback_s"] is not None
    assert doc["slo"]["passed"] is (doc["writes_lost"] == 0)
    assert {e["kind"] for e in doc["events"] if e["source"] == "sandbox"} >= {"fault", "health"}
    assert (tmp_path / "r" / "report.md").read_text().count("new-york") >= 1
    assert (tmp_path / "r" / "timeline.png").read_bytes()[:4] == b"\x89PNG"
    kinds = [e["message"] for e in control.events(0) if e["kind"] == "drill"]
    assert any(m.startswith("fault:") for m in kinds) and any(
        m.startswith("rollback:") for m in kinds
    )


def test_health_inversion_evacuates_and_loses_no_acknowledged_write(
    topology: Topology, control: SandboxClient
) -> None:
    result = run_drill(topology, control, "health-inversion")
    doc = to_json(result)
    assert doc["rolled_back"] and doc["status"] == "completed", doc["error"]
    assert doc["plan"]["inject"][0]["command"].startswith("aws route53 update-health-check")
    assert "--inverted" in doc["plan"]["inject"][0]["command"]
    assert doc["writes_acked"] > 0 and doc["writes_lost"] == 0
    assert doc["rpo_s"] == 0.0
    ny = next(loc for loc in doc["locations"] if loc["name"] == "new-york")
    assert ny["final_regions"] == ["eu-west-1"] and ny["t_dns_change_s"] is not None
    assert doc["rto_s"] is not None and doc["rto_s"] <= doc["bound_s"] + SLACK_S
    assert doc["slo"]["passed"]


def test_dependency_failure_fails_the_deep_check_and_moves_traffic(
    topology: Topology, control: SandboxClient
) -> None:
    result = run_drill(topology, control, "dependency-failure")
    assert result.rolled_back and result.status == "completed", result.error
    fault = result.marks.fault
    assert fault is not None and result.health_flip_at is not None
    ny = next(loc for loc in result.locations if loc.name == "new-york")
    assert ny.final_regions == ("eu-west-1",), explain(result)
    # Detection also waits for the app's bounded dependency check (1 s) and the probe budget.
    assert ny.dns_change_at is not None, explain(result)
    assert ny.dns_change_at - fault <= result.plan.bound_s + 2.5 + SLACK_S, explain(result)
    # the app answers 503 while its table is down (or times out), nothing else
    assert set(ny.errors) <= {"HTTP 503", "ReadTimeout"}, explain(result)
    assert ny.rto_s is not None and ny.rto_s <= result.plan.bound_s + SLACK_S, explain(result)
    assert result.writes_lost == 0


def test_partition_converges_after_heal_with_zero_lost_writes(
    topology: Topology, control: SandboxClient
) -> None:
    needs_replicator(control)
    result = run_drill(topology, control, "partition")
    assert result.rolled_back and result.status == "completed", result.error
    assert result.requests_failed == 0 and result.rto_s == 0.0  # both sides kept serving
    assert result.writes_acked > 0 and result.writes_lost == 0
    # replication really stopped during the partition: each side lacked the other's writes...
    diverged = result.marks.missing_at_rollback
    assert diverged["us-east-1"] > 0 and diverged["eu-west-1"] > 0, diverged
    pairs = result.marks.divergence_at_rollback
    assert pairs["us-east-1 -> eu-west-1"] == diverged["eu-west-1"], pairs
    assert pairs["eu-west-1 -> us-east-1"] == diverged["us-east-1"], pairs
    assert set(result.region_convergence_s) == {"us-east-1", "eu-west-1"}
    # ...and after the heal every replica holds every acknowledged write
    assert result.missing_by_region == {"us-east-1": 0, "eu-west-1": 0}
    assert result.convergence_s is not None


def test_a_drill_interrupted_mid_fault_still_rolls_back(
    sandbox: tuple[Path, dict[str, str]], control: SandboxClient
) -> None:
    config, env = sandbox
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "polyregion.cli",
            "drill",
            "region-outage",
            "--json",
            "--config",
            str(config),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while not next(r for r in control.status()["regions"] if r["name"] == "us-east-1")[
            "faults"
        ]["killed"]:
            assert proc.poll() is None and time.monotonic() < deadline, (
                proc.stderr.read() if proc.stderr else ""
            )
            time.sleep(0.1)
        time.sleep(0.5)  # mid-fault
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stderr[-2000:]
    doc = json.loads(stdout)
    assert doc["status"] == "interrupted" and doc["rolled_back"] is True
    assert [r["activity"]["name"] for r in doc["rollbacks"]] == ["sandbox.fault"]
    us = next(r for r in control.status()["regions"] if r["name"] == "us-east-1")
    assert us["faults"]["killed"] is False
    wait_healthy(control)


def test_lag_reports_a_distribution_consistent_with_the_injected_delay(
    sandbox: tuple[Path, dict[str, str]], control: SandboxClient
) -> None:
    needs_replicator(control)
    config, env = sandbox
    out = cli(config, "lag", "--json", "--samples", "6", "--kinds", "items", env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    doc = json.loads(out.stdout)
    assert doc["injected_delay_ms"] == DELAY_MS
    rows = doc["pairs"]
    assert {(r["from"], r["to"]) for r in rows} == {
        ("us-east-1", "eu-west-1"),
        ("eu-west-1", "us-east-1"),
    }
    for row in rows:
        assert row["n"] == 6 and row["not_seen"] == 0
        # never below the injected delay; above it by the replicator's own overhead (stream
        # polling, applying through moto: ~0.1-0.5 s here, more under heavy load)
        assert DELAY_MS * 0.95 <= row["p50_ms"] <= DELAY_MS + 1500, row


def test_lag_sees_bucket_objects_and_secret_versions_in_every_other_region(
    sandbox: tuple[Path, dict[str, str]], control: SandboxClient
) -> None:
    needs_replicator(control)
    config, env = sandbox
    out = cli(config, "lag", "--json", "--samples", "3", "--kinds", "objects,secrets", env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    rows = json.loads(out.stdout)["pairs"]
    assert {r["kind"] for r in rows} == {"objects", "secrets"}
    secrets_rows = [r for r in rows if r["kind"] == "secrets"]
    assert [(r["from"], r["to"]) for r in secrets_rows] == [("us-east-1", "eu-west-1")]
    for row in rows:
        # one secret version per run: the app accepts only the current and previous keys
        assert row["not_seen"] == 0 and row["n"] == (1 if row["kind"] == "secrets" else 3), row
        assert row["max_ms"] < 5000, row  # polled copies (S3 200 ms, secret 500 ms) + slack


def test_without_drill_write_the_drill_measures_availability_only_and_says_so(
    sandbox: tuple[Path, dict[str, str]], control: SandboxClient, tmp_path: Path
) -> None:
    config, env = sandbox
    reads_only = tmp_path / "polyregion.toml"  # the same sandbox, the topology without writes
    reads_only.write_text(config.read_text().replace(DRILL_WRITE, ""))
    out = cli(reads_only, "drill", "health-inversion", "--report", str(tmp_path / "r"), env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "availability only" in out.stdout
    assert "not measured" in out.stdout
    doc = json.loads((tmp_path / "r" / "report.json").read_text())
    assert doc["writes_acked"] == 0 and doc["writes_lost"] is None
    assert "max_lost_writes" not in doc["slo"] and doc["slo"]["passed"]
    assert "availability only" in (tmp_path / "r" / "report.md").read_text()


def test_verify_passes_on_an_app_that_keeps_the_contract(
    sandbox: tuple[Path, dict[str, str]], control: SandboxClient
) -> None:
    config, env = sandbox
    out = cli(config, "verify", "--json", env=env, timeout=180)
    doc = json.loads(out.stdout)
    results = {r["rule"]: r["result"] for r in doc["rules"]}
    assert out.returncode == 0, (results, out.stderr[-2000:])
    assert results == {
        "health": "pass",
        "health-degraded-down": "pass",
        "health-degraded-slow": "pass",
        "recovery": "pass",
        "replication": "pass",
        "cross-region-read": "pass",
        "origin-verify": "pass",
    }, doc
    # the bucket it declares but never writes is named, not silently counted as replicated
    replication = next(r for r in doc["rules"] if r["rule"] == "replication")
    assert "table notes" in replication["detail"] and "bucket uploads" in replication["detail"]
    wait_healthy(control)
