"""An app of your own ([app] command, [[tables]], [[buckets]], [app.lambda]) through synth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from polyregion.topology import load

pytestmark = pytest.mark.infra

NOTES = """
[app]
name = "notes"
domain = "example.org"
command = ["node", "server.js"]

[app.lambda]
runtime = "nodejs22.x"
memory_mb = 512

[health]
path = "/api/health"

[[tables]]
name = "notes"
scope = "global"
partition_key = "id"

[[tables]]
name = "audit"
scope = "regional"
partition_key = "pk"

[[buckets]]
name = "uploads"

[aws]
hosted_zone_id = "Z0123456789EXAMPLE"
"""


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    from polyregion.infra.synth import synthesize

    work = tmp_path_factory.mktemp("notes")
    (work / "server.js").write_text("// the app\n")
    (work / "polyregion.toml").write_text(NOTES)
    result = synthesize(load(work / "polyregion.toml"), out=work / "cdk.out", work=work / "build")
    return {s.name: json.loads(Path(s.template).read_text()) for s in result.stacks}


@pytest.fixture(scope="module")
def regional(templates: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return templates["notes-regional-eu-west-1"]


def _resources(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == kind]


def test_the_command_runs_behind_the_web_adapter_with_the_contract_environment(
    regional: dict[str, Any],
) -> None:
    (fn,) = [f for f in _resources(regional, "AWS::Lambda::Function") if f["Handler"] == "run.sh"]
    assert fn["Runtime"] == "nodejs22.x" and fn["MemorySize"] == 512
    assert fn["Layers"] == [
        "arn:aws:lambda:eu-west-1:753240598075:layer:LambdaAdapterLayerArm64:26"
    ]
    env = fn["Environment"]["Variables"]
    assert env["POLYREGION_REGION"] == "eu-west-1"
    assert env["POLYREGION_REGIONS"] == "us-east-1,eu-west-1"
    assert env["POLYREGION_TABLE_NOTES"] == "notes-notes"
    assert env["POLYREGION_TABLE_AUDIT"] == "notes-audit"
    assert env["POLYREGION_BUCKET_UPLOADS"]["Fn::Join"][1][0] == "notes-uploads-eu-west-1-"
    assert env["POLYREGION_SECRET_SESSION"] == "notes/session-secret"
    assert env["POLYREGION_ORIGIN_VERIFY_SECRET"] == "notes/origin-verify"
    assert "AWS_REGION" not in env


def test_iam_is_exactly_what_is_declared(regional: dict[str, Any]) -> None:
    roles = _resources(regional, "AWS::IAM::Role")
    (role,) = [r for r in roles if "only what the topology declares" in r.get("Description", "")]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    sids = {s["Sid"] for s in statements}
    assert sids == {
        "TableNotes", "TableAudit", "BucketUploads", "BucketUploadsObjects", "SecretsLocalReplicas",
    }  # fmt: skip
    text = json.dumps(statements)
    assert "table/notes-notes" in text and "table/notes-audit" in text
    assert "us-east-1" not in text  # this region's replicas only


def test_every_declared_bucket_exists_in_every_region_and_replicates(
    templates: dict[str, dict[str, Any]],
) -> None:
    """`[[buckets]] name = "uploads"` got an environment variable and IAM, but no stack created
    the bucket: the app's first PutObject was NoSuchBucket."""
    for region, other in (("us-east-1", "eu-west-1"), ("eu-west-1", "us-east-1")):
        buckets = {
            json.dumps(r["Properties"]["BucketName"]): r["Properties"]
            for r in templates[f"notes-assets-{region}"]["Resources"].values()
            if r["Type"] == "AWS::S3::Bucket"
        }
        (uploads,) = [b for name, b in buckets.items() if f"notes-uploads-{region}-" in name]
        assert uploads["VersioningConfiguration"] == {"Status": "Enabled"}
        condition, enabled, _ = uploads["ReplicationConfiguration"]["Fn::If"]
        assert condition == "ReplicationEnabled"  # the stack's one Replication switch
        (rule,) = enabled["Rules"]
        assert f"notes-uploads-{other}-" in json.dumps(rule["Destination"]["Bucket"])
        assert len(buckets) == 2  # and the assets bucket (static files)
