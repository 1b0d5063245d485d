"""A real sandbox keeps each region's data across `down`/`up`; `up --fresh` starts empty."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from polyregion.sandbox.client import SandboxClient
from polyregion.topology import load, naming
from tests.sandbox.conftest import RunningSandbox, write_topology

pytestmark = pytest.mark.functional


@pytest.fixture
def stopped(tmp_path: Path) -> Iterator[RunningSandbox]:
    """A topology and run dir; the test starts and stops it; always `down` at the end."""
    config = write_topology(tmp_path / "polyregion.toml")
    env = {**os.environ, "POLYREGION_RUN_DIR": str(tmp_path / "run")}
    env.pop("POLYREGION_CONFIG", None)
    client = SandboxClient.for_topology(load(config))
    sb = RunningSandbox(config, tmp_path / "run", env, client, {})
    try:
        yield sb
    finally:
        sb.cli("down")
        client.close()


def up(sb: RunningSandbox, *flags: str) -> str:
    started = sb.cli("up", "--fast", "--detach", *flags, timeout=120)
    assert started.returncode == 0, started.stderr + started.stdout
    sb.status = sb.client.status()
    return started.stdout


def aws(sb: RunningSandbox, service: str, region: str) -> Any:
    return boto3.client(
        service, endpoint_url=sb.region(region)["aws_endpoint"], region_name=region,
        aws_access_key_id="sandbox", aws_secret_access_key="sandbox",
    )  # fmt: skip


def contents(sb: RunningSandbox, region: str) -> tuple[bool, bool, bool, str]:
    """(item there, regional item there, object there, session secret)."""
    topology = load(sb.config)
    ddb, s3 = aws(sb, "dynamodb", region), aws(sb, "s3", region)
    item = ddb.get_item(
        TableName=sb.status["tables"]["global"], Key={"pk": {"S": "kept"}, "sk": {"S": "item"}}
    )
    audit = ddb.get_item(
        TableName=sb.status["tables"]["regional"][0], Key={"pk": {"S": "a"}, "sk": {"S": "b"}}
    )
    listed = s3.list_objects_v2(Bucket=sb.region(region)["bucket"]).get("Contents", [])
    keys = [o["Key"] for o in listed]
    secret = aws(sb, "secretsmanager", region).get_secret_value(
        SecretId=naming.session_secret(topology)
    )["SecretString"]
    return "Item" in item, "Item" in audit, "covers/kept.txt" in keys, secret


def test_data_survives_down_and_up_and_fresh_starts_empty(stopped: RunningSandbox) -> None:
    sb = stopped
    first = up(sb)
    assert sb.status["data"]["mode"] == "new" and "nothing kept" in first
    region = sb.status["regions"][1]["name"]
    aws(sb, "dynamodb", region).put_item(
        TableName=sb.status["tables"]["global"],
        Item={"pk": {"S": "kept"}, "sk": {"S": "item"}, "text": {"S": "my post"}},
    )
    aws(sb, "dynamodb", region).put_item(
        TableName=sb.status["tables"]["regional"][0], Item={"pk": {"S": "a"}, "sk": {"S": "b"}}
    )
    aws(sb, "s3", region).put_object(
        Bucket=sb.region(region)["bucket"], Key="covers/kept.txt", Body=b"cover"
    )
    before = contents(sb, region)
    assert before[:3] == (True, True, True)
    assert sb.cli("down").returncode == 0

    again = up(sb)
    assert sb.status["data"]["mode"] == "restored", again
    assert "restored from the last run" in again  # `up` says which happened
    after = contents(sb, region)
    assert after == before  # items, regional items, objects and the session secret
    assert sb.cli("down").returncode == 0

    fresh = up(sb, "--fresh")
    assert sb.status["data"]["mode"] == "fresh" and "--fresh" in fresh
    emptied = contents(sb, region)
    assert emptied[:3] == (False, False, False) and emptied[3] != before[3]
