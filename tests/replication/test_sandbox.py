"""The replicator inside a real `polyregion up` (fast profile): wiring, faults, status, events."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from polyregion.sandbox.process import pid_alive
from polyregion.topology import load, naming
from tests.sandbox.conftest import RunningSandbox, running_sandbox, wait_for

pytestmark = pytest.mark.functional


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(
        tmp_path_factory.mktemp("sandbox-repl"),
        replication_delay_ms=50.0,
        replication_jitter_ms=0.0,
    ) as running:
        yield running


def aws(sb: RunningSandbox, service: str, region: str) -> Any:
    return boto3.client(
        service, endpoint_url=sb.region(region)["aws_endpoint"], region_name=region,
        aws_access_key_id="sandbox", aws_secret_access_key="sandbox",
    )  # fmt: skip


def put(sb: RunningSandbox, region: str, pk: str) -> None:
    table = sb.status["tables"]["global"]
    aws(sb, "dynamodb", region).put_item(
        TableName=table,
        Item={
            "pk": {"S": pk}, "sk": {"S": "item"},
            "updated_at": {"N": str(int(time.time() * 1000))},
            "updated_region": {"S": region}, "version": {"N": "1"},
        },
    )  # fmt: skip


def present(sb: RunningSandbox, region: str, pk: str) -> bool:
    table = sb.status["tables"]["global"]
    got = aws(sb, "dynamodb", region).get_item(
        TableName=table, Key={"pk": {"S": pk}, "sk": {"S": "item"}}
    )
    return "Item" in got


def test_up_runs_the_replicator_and_status_reports_every_pair(sandbox: RunningSandbox) -> None:
    a, b = (r["name"] for r in sandbox.status["regions"])
    put(sandbox, a, "sbx-1")
    wait_for(lambda: present(sandbox, b, "sbx-1"), timeout_s=10)
    repl = sandbox.client.status()["replication"]
    assert {(p["source"], p["destination"]) for p in repl["pairs"]} == {(a, b), (b, a)}
    assert all(p["injected_delay_ms"] == 50 for p in repl["pairs"])
    wait_for(lambda: any(p["samples"] for p in sandbox.client.status()["replication"]["pairs"]), 5)
    # S3 replication through the sandbox's own region endpoints (status on head_object).
    bucket = {r["name"]: r["bucket"] for r in sandbox.status["regions"]}
    aws(sandbox, "s3", a).put_object(Bucket=bucket[a], Key="hello.txt", Body=b"hi")

    def replica() -> bool:
        try:
            head = aws(sandbox, "s3", b).head_object(Bucket=bucket[b], Key="hello.txt")
        except Exception:
            return False
        return head.get("ReplicationStatus") == "REPLICA"

    wait_for(replica, timeout_s=10)
    secret = naming.session_secret(load(sandbox.config))
    versions = [
        aws(sandbox, "secretsmanager", r).get_secret_value(SecretId=secret)["VersionId"]
        for r in (a, b)
    ]
    assert versions[0] == versions[1]  # the replica mirrors the primary's version


def test_fault_partition_and_heal_reach_the_replicator(sandbox: RunningSandbox) -> None:
    a, b = (r["name"] for r in sandbox.status["regions"])
    done = sandbox.cli("fault", "partition", a, b)
    assert done.returncode == 0, done.stderr + done.stdout
    try:
        put(sandbox, a, "sbx-2")
        wait_for(
            lambda: sum(p["backlog"] for p in sandbox.client.status()["replication"]["pairs"]) >= 1,
            timeout_s=10,
        )
        assert not present(sandbox, b, "sbx-2")
        assert sandbox.client.status()["replication"]["partitions"] == [sorted([a, b])]
    finally:
        healed = sandbox.cli("fault", "heal")
        assert healed.returncode == 0, healed.stderr + healed.stdout
    wait_for(lambda: present(sandbox, b, "sbx-2"), timeout_s=10)
    wait_for(
        lambda: (
            {"partition", "heal"}
            <= {
                e["detail"].get("event")
                for e in sandbox.client.events()
                if e["kind"] == "replication"
            }
        ),
        timeout_s=5,
    )


def test_a_sigkilled_replicator_comes_back_and_loses_no_acknowledged_write(
    sandbox: RunningSandbox,
) -> None:
    """Issue 15: `kill -9` of the replicator mid-writes. The supervision restarts it, it
    resumes from its checkpoint, `fault heal` reaches it, `status` shows the new pid, and every
    acknowledged write (items and objects, both directions) reaches every region."""
    a, b = (r["name"] for r in sandbox.status["regions"])
    bucket = {r["name"]: r["bucket"] for r in sandbox.status["regions"]}
    old_pid = sandbox.client.status()["replication"]["pid"]
    acked: list[tuple[str, str]] = []
    objects: list[tuple[str, str]] = []
    stop = threading.Event()

    def write() -> None:
        clients = {r: aws(sandbox, "s3", r) for r in (a, b)}
        n = 0
        while not stop.is_set():
            region = (a, b)[n % 2]
            put(sandbox, region, f"kill9-{n}")
            acked.append((region, f"kill9-{n}"))
            if n % 5 == 0:
                key = f"kill9/{n}.txt"
                clients[region].put_object(Bucket=bucket[region], Key=key, Body=b"x")
                objects.append((region, key))
            n += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        wait_for(lambda: len(acked) >= 20, timeout_s=20)
        os.kill(old_pid, signal.SIGKILL)
        killed_at = len(acked)
        wait_for(lambda: not pid_alive(old_pid), timeout_s=5)
        new_pid = wait_for_value(
            lambda: sandbox.client.status()["replication"].get("pid"), lambda p: p != old_pid, 20
        )
        assert pid_alive(new_pid)
        wait_for(lambda: len(acked) >= killed_at + 20, timeout_s=20)
    finally:
        stop.set()
        writer.join()
    assert killed_at < len(acked)  # writes went on while the replicator was dead
    status = sandbox.client.status()
    (child,) = [c for c in status["children"] if c["name"] == "replicator"]
    assert child["restarts"] >= 1 and child["pid"] == new_pid and child["alive"]
    assert any(
        e["kind"] == "process" and e["detail"].get("child") == "replicator"
        and e["detail"].get("pid") == new_pid
        for e in sandbox.client.events()
    )  # fmt: skip
    healed = sandbox.cli("fault", "heal")
    assert healed.returncode == 0, healed.stderr + healed.stdout
    for source, pk in acked:
        other = b if source == a else a
        wait_for(lambda pk=pk, other=other: present(sandbox, other, pk), timeout_s=30)
    for source, key in objects:
        other = b if source == a else a
        s3 = aws(sandbox, "s3", other)
        wait_for(lambda key=key, other=other, s3=s3: exists(s3, bucket[other], key), timeout_s=30)


def exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except Exception:
        return False
    return True


def wait_for_value(get: Any, ok: Any, timeout_s: float) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(Exception):
            value = get()
            if ok(value):
                return value
        if time.monotonic() > deadline:
            raise AssertionError(f"no acceptable value within {timeout_s} s")
        time.sleep(0.1)


def test_down_stops_the_replicator(sandbox: RunningSandbox) -> None:
    pid = sandbox.client.status()["replication"]["pid"]
    assert pid_alive(pid)
    assert sandbox.cli("down").returncode == 0
    wait_for(lambda: not pid_alive(pid), timeout_s=10)
