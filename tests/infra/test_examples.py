"""The three examples, each synthesized from its own topology file (conftest `examples`):
the function of each app shape, the contract environment, tables, IAM, static files through
CloudFront, `polyregion lint`, and the deploy plan from the example's directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from polyregion.topology import naming
from tests.infra.conftest import EXAMPLE_NAMES, EXAMPLES, Synth

pytestmark = pytest.mark.infra

REGIONS = ("us-east-1", "eu-west-1")  # every example's regions (the defaults)
APP = {"blog": "polyregion", "fastapi-notes": "notes", "nextjs-notes": "nextjs-notes"}
TABLES = {  # declared name -> scope, per example
    "blog": {"data": "global", "signin-audit": "regional"},
    "fastapi-notes": {"notes": "global", "audit": "regional"},
    "nextjs-notes": {"notes": "global", "audit": "regional"},
}
ADAPTER = "arn:aws:lambda:{region}:753240598075:layer:LambdaAdapterLayerArm64:26"


def _app_function(synth: Synth, region: str) -> dict[str, Any]:
    template = synth.template(f"{synth.topology.name}-regional-{region}")
    functions = template.find_resources(
        "AWS::Lambda::Function",
        {"Properties": {"Environment": {"Variables": {"POLYREGION_REGION": region}}}},
    )
    assert len(functions) == 1, functions.keys()
    template.resource_count_is("AWS::Lambda::Function", 1)
    return next(iter(functions.values()))["Properties"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module", params=EXAMPLE_NAMES)
def example(request: pytest.FixtureRequest, examples: dict[str, Synth]) -> tuple[str, Synth]:
    return request.param, examples[request.param]


def test_each_example_synthesizes_its_own_stacks(example: tuple[str, Synth]) -> None:
    name, synth = example
    assert synth.topology.name == APP[name]
    assert sorted(synth.templates) == sorted(
        [f"{APP[name]}-{s}" for s in ("data", "secrets", "edge")]
        + [f"{APP[name]}-{kind}-{r}" for kind in ("assets", "regional") for r in REGIONS]
    )
    # Next.js from its (stood-in) build; the Python apps from source: no PyPI in the tests.
    assert synth.full_asset is (name == "nextjs-notes")


@pytest.mark.parametrize("region", REGIONS)
def test_the_function_runs_the_declared_app_shape(example: tuple[str, Synth], region: str) -> None:
    name, synth = example
    fn = _app_function(synth, region)
    env = fn["Environment"]["Variables"]
    assert fn["Architectures"] == ["arm64"]
    if name == "blog":  # handler = "module:app": in-process through the Mangum shim
        assert fn["Runtime"] == "python3.14"
        assert fn["Handler"] == "_polyregion_handler.handler"
        assert "Layers" not in fn and "AWS_LAMBDA_EXEC_WRAPPER" not in env
    else:  # [app] command behind the Lambda Web Adapter
        assert fn["Runtime"] == {"fastapi-notes": "python3.13", "nextjs-notes": "nodejs22.x"}[name]
        assert fn["Handler"] == "run.sh"
        assert fn["Layers"] == [ADAPTER.format(region=region)]
        assert env["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/bootstrap"
        assert env["AWS_LWA_READINESS_CHECK_PATH"] == "/api/health"
        assert env["PORT"] == env["AWS_LWA_PORT"] == "8080"


@pytest.mark.parametrize("region", REGIONS)
def test_the_function_gets_the_contract_environment(
    example: tuple[str, Synth], region: str
) -> None:
    name, synth = example
    app = APP[name]
    env = _app_function(synth, region)["Environment"]["Variables"]
    assert env["POLYREGION_REGION"] == region
    assert env["POLYREGION_REGIONS"] == ",".join(REGIONS)
    assert env["POLYREGION_SECRET_SESSION"] == f"{app}/session-secret"
    assert env["POLYREGION_ORIGIN_VERIFY_SECRET"] == f"{app}/origin-verify"
    assert env["POLYREGION_ORIGIN_VERIFY_HEADER"] == "x-origin-verify"
    tables = {k: v for k, v in env.items() if k.startswith("POLYREGION_TABLE_")}
    assert tables == {f"POLYREGION_TABLE_{naming.env_key(t)}": f"{app}-{t}" for t in TABLES[name]}
    buckets = {k: v for k, v in env.items() if k.startswith("POLYREGION_BUCKET_")}
    if name == "blog":  # <app>-assets-<region>-<account>: the account is a deploy-time value
        assert buckets == {
            "POLYREGION_BUCKET_ASSETS": {
                "Fn::Join": ["", [f"polyregion-assets-{region}-", {"Ref": "AWS::AccountId"}]]
            }
        }
    else:
        assert buckets == {}
    assert not {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"} & set(env)


def test_one_global_table_per_global_table_with_a_replica_per_region(
    example: tuple[str, Synth],
) -> None:
    name, synth = example
    data = synth.template(f"{APP[name]}-data")
    global_tables = [t for t, scope in TABLES[name].items() if scope == "global"]
    data.resource_count_is("AWS::DynamoDB::GlobalTable", len(global_tables))
    for table in global_tables:
        found = data.find_resources(
            "AWS::DynamoDB::GlobalTable", {"Properties": {"TableName": f"{APP[name]}-{table}"}}
        )
        (props,) = [r["Properties"] for r in found.values()]
        assert sorted(r["Region"] for r in props["Replicas"]) == sorted(REGIONS)
        assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
        assert all(r["DeletionProtectionEnabled"] for r in props["Replicas"])
        assert all(
            r["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
            for r in props["Replicas"]
        )
    regional = [t for t, scope in TABLES[name].items() if scope == "regional"]
    for region in REGIONS:
        stack = synth.template(f"{APP[name]}-regional-{region}")
        stack.resource_count_is("AWS::DynamoDB::Table", len(regional))
        for table in regional:
            stack.has_resource_properties(
                "AWS::DynamoDB::Table", {"TableName": f"{APP[name]}-{table}"}
            )
        stack.resource_count_is("AWS::DynamoDB::GlobalTable", 0)


def _resources(statement: dict[str, Any]) -> list[str]:
    """A statement's resources as text (Fn::Join flattened, pseudo parameters as <Ref>)."""
    raw = statement["Resource"]
    out = []
    for r in raw if isinstance(raw, list) else [raw]:
        if isinstance(r, dict):
            parts = r["Fn::Join"][1]
            r = "".join(p if isinstance(p, str) else f"<{p['Ref']}>" for p in parts)
        out.append(r)
    return out


@pytest.mark.parametrize("region", REGIONS)
def test_iam_is_exactly_the_declared_tables_buckets_and_secrets(
    example: tuple[str, Synth], region: str
) -> None:
    name, synth = example
    app = APP[name]
    template = synth.templates[f"{app}-regional-{region}"]
    role = next(
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Role" and "declares" in r["Properties"].get("Description", "")
    )
    (policy,) = role["Policies"]
    granted = {
        resource
        for s in policy["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
        for resource in _resources(s)
    }
    arn = "arn:<AWS::Partition>:{}:" + region + ":<AWS::AccountId>:{}"
    expected = set()
    for table in TABLES[name]:
        expected.add(arn.format("dynamodb", f"table/{app}-{table}"))
        if table == "data":  # the blog's GSIs, each by name
            for index in ("by-slug", "by-kind"):
                expected.add(arn.format("dynamodb", f"table/{app}-{table}/index/{index}"))
    for secret in ("session-secret", "origin-verify"):
        expected.add(arn.format("secretsmanager", f"secret:{app}/{secret}-??????"))
    if name == "blog":
        bucket = f"arn:<AWS::Partition>:s3:::polyregion-assets-{region}-<AWS::AccountId>"
        expected |= {bucket, f"{bucket}/*"}
    assert "*" not in granted
    (other,) = [r for r in REGIONS if r != region]
    if name != "nextjs-notes":  # cross_region_reads: the kit's read-your-writes fallback
        statements = policy["PolicyDocument"]["Statement"]
        remote = {(s["Sid"], str(s["Action"]), r) for s in statements for r in _resources(s)}
        remote = {x for x in remote if other in x[2]}
        table = f"arn:<AWS::Partition>:dynamodb:{other}:<AWS::AccountId>:table/{app}-"
        table += {"blog": "data", "fastapi-notes": "notes"}[name]
        wanted = {("GlobalTablesOtherReplicasGetItem", "dynamodb:GetItem", table)}
        if name == "blog":  # and the cover fallback in the other region's bucket
            bucket = f"arn:<AWS::Partition>:s3:::polyregion-assets-{other}-<AWS::AccountId>"
            wanted |= {
                ("GlobalBucketsOtherReplicas", "s3:ListBucket", bucket),
                ("GlobalBucketsOtherReplicasObjects", "s3:GetObject", f"{bucket}/*"),
            }
        assert remote == wanted
        granted = {g for g in granted if other not in g}
    assert granted == expected  # this region: exactly what is declared
    assert not any(other in g for g in granted)


def test_polyregion_lint_finds_no_error(examples: dict[str, Synth]) -> None:
    from polyregion.lint import lint_paths

    for name, synth in examples.items():
        result = lint_paths([synth.out])
        assert result.errors == 0, (name, [str(f) for f in result.findings])
        assert len(result.stacks) == 7


def test_nextjs_static_files_are_uploaded_and_served_by_cloudfront(
    examples: dict[str, Synth],
) -> None:
    """`/_next/static/*` and public/'s robots.txt from the assets bucket (OAC, failover group
    whose origins read below static/); the files uploaded to every region's bucket."""
    from aws_cdk.assertions import Match

    synth = examples["nextjs-notes"]
    edge = synth.templates["nextjs-notes-edge"]
    (dist,) = [
        r["Properties"]["DistributionConfig"]
        for r in edge["Resources"].values()
        if r["Type"] == "AWS::CloudFront::Distribution"
    ]
    behaviors = {b["PathPattern"]: b for b in dist["CacheBehaviors"]}
    assert sorted(behaviors) == ["/_next/static/*", "/robots.txt"]
    group = dist["OriginGroups"]["Items"][0]
    assert {b["TargetOriginId"] for b in behaviors.values()} == {group["Id"]}
    members = {m["OriginId"] for m in group["Members"]["Items"]}
    s3_origins = [o for o in dist["Origins"] if o["Id"] in members]
    assert len(s3_origins) == 2 and all(o["OriginPath"] == "/static" for o in s3_origins)
    assert all(o["OriginAccessControlId"] for o in s3_origins)
    assert all(b["AllowedMethods"] == ["GET", "HEAD"] for b in behaviors.values())
    for region in REGIONS:
        assets = synth.template(f"nextjs-notes-assets-{region}")
        assets.has_resource_properties(
            "Custom::CDKBucketDeployment",
            {
                "DestinationBucketKeyPrefix": "static/_next/static/",
                "SystemMetadata": {"cache-control": "public, max-age=31536000, immutable"},
                "Prune": False,
            },
        )
        assets.has_resource_properties(
            "Custom::CDKBucketDeployment",
            {"DestinationBucketKeyPrefix": "static/", "SystemMetadata": Match.any_value()},
        )
        assets.resource_count_is("Custom::CDKBucketDeployment", 2)


def test_only_the_blog_hands_static_to_the_bucket_and_fastapi_keeps_its_paths(
    examples: dict[str, Synth],
) -> None:
    patterns = {}
    for name, synth in examples.items():
        edge = synth.templates[f"{APP[name]}-edge"]
        (dist,) = [
            r["Properties"]["DistributionConfig"]
            for r in edge["Resources"].values()
            if r["Type"] == "AWS::CloudFront::Distribution"
        ]
        patterns[name] = sorted(b["PathPattern"] for b in dist.get("CacheBehaviors", []))
    assert patterns["blog"] == ["/static/*"]
    assert patterns["fastapi-notes"] == []  # the app serves every path itself
    blog_assets = examples["blog"].template("polyregion-assets-us-east-1")
    blog_assets.has_resource_properties(
        "Custom::CDKBucketDeployment", {"DestinationBucketKeyPrefix": "static/"}
    )


# -- deploy --dry-run ------------------------------------------------------------------------


def _dry_run(cwd: Path, config: str, tmp_path: Path) -> str:
    """`polyregion deploy --dry-run` with a `cdk` and an `npx` on PATH that record any call:
    the dry run must call neither (nor anything else that reaches AWS)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls = tmp_path / "calls"
    for tool in ("cdk", "npx", "aws"):
        script = bin_dir / tool
        script.write_text(f'#!/bin/sh\necho "{tool} $*" >> {calls}\nexit 1\n')
        script.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"PATH": f"{bin_dir}{os.pathsep}{env['PATH']}", "COLUMNS": "400"}
    env["PYTHONPATH"] = str(EXAMPLES.parent)

    def listing() -> list[str]:  # (pytest's own caches aside)
        return sorted(p.name for p in cwd.iterdir() if not p.name.startswith("."))

    before = listing()
    result = subprocess.run(
        [sys.executable, "-m", "polyregion.cli", "deploy", "--dry-run", "--config", config],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert not calls.exists(), calls.read_text()
    assert listing() == before  # nothing written (no build/, no cdk.out)
    return result.stdout


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
@pytest.mark.parametrize("where", ["repository", "example"])
def test_deploy_dry_run_plans_the_example_from_its_own_directory(
    name: str, where: str, tmp_path: Path
) -> None:
    cwd = EXAMPLES.parent if where == "repository" else EXAMPLES / name
    config = f"examples/{name}/polyregion.toml" if where == "repository" else "polyregion.toml"
    out = _dry_run(cwd, config, tmp_path)
    app = APP[name]
    steps = [line.strip() for line in out.splitlines() if line.strip().startswith("$ ")]
    # 1: build this example (its code, its topology), then the CDK CLI's stacks in order.
    assert steps[0].endswith(f"polyregion.cli build -c {config}")
    assert (
        steps[1]
        == "$ cdk bootstrap aws://unknown-account/eu-west-1 aws://unknown-account/us-east-1"
    )
    app_arg = f"--asset build/lambda --config {config}"
    stacks = [
        [f"{app}-assets-{r}" for r in REGIONS],
        [f"{app}-data", f"{app}-secrets"],
        [f"{app}-regional-{r}" for r in REGIONS],
        [f"{app}-edge"],
        [f"{app}-assets-{r}" for r in REGIONS],
    ]
    for step, expected in zip(steps[2:], stacks, strict=True):
        assert step.startswith("$ cdk deploy --app") and app_arg in step
        named = [a.strip("'") for a in step.split() if a.strip("'").startswith(f"{app}-")]
        assert [a for a in named if ":" not in a] == expected
    assert f"{app}-assets-us-east-1:Replication=enabled" in steps[-1]
    assert "placeholder zone" in out  # no [aws] hosted_zone_id in the examples


def test_the_build_step_names_the_app_runtime() -> None:
    """The plan's build step says what it builds (not always 'ARM64 Python')."""
    from polyregion.infra.commands import build_title
    from polyregion.topology import load

    titles = {n: build_title(load(EXAMPLES / n / "polyregion.toml")) for n in EXAMPLE_NAMES}
    assert "nodejs22.x" in titles["nextjs-notes"] and "arm64" in titles["nextjs-notes"]
    assert "python3.14" in titles["blog"] and "ARM64" not in titles["blog"]
