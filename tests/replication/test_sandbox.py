"""The replicator inside a real `polyregion up` (fast profile): wiring, faults, status, events."""

from __future__ import annotations

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


def test_down_stops_the_replicator(sandbox: RunningSandbox) -> None:
    pid = sandbox.client.status()["replication"]["pid"]
    assert pid_alive(pid)
    assert sandbox.cli("down").returncode == 0
    wait_for(lambda: not pid_alive(pid), timeout_s=10)
