"""The app's Lambda function in both shapes, synthesized in one small stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from polyregion.topology.lambda_settings import parse_lambda

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def functions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_logs as logs

    from polyregion.infra.app_function import AppFunction

    asset = tmp_path_factory.mktemp("asset")
    (asset / "run.sh").write_text("#!/bin/sh\n")
    app = cdk.App()
    stack = cdk.Stack(app, "fn", env=cdk.Environment(account="111122223333", region="eu-west-1"))
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    logs_ = logs.LogGroup(stack, "Logs")
    env = {"POLYREGION_REGION": "eu-west-1", "POLYREGION_TABLE_NOTES": "notes-notes"}
    for name, raw in (
        ("Adapter", {"runtime": "nodejs22.x", "memory_mb": 512, "timeout_s": 10}),
        ("Asgi", {"runtime": "python3.13", "handler": "main:app", "architecture": "x86_64"}),
    ):
        AppFunction(
            stack, name, settings=parse_lambda(raw), asset_dir=asset, environment=env,
            health_path="/api/health", role=role, log_group=logs_, description=name,
        )  # fmt: skip
    template = app.synth().get_stack_by_name("fn").template
    return {
        r["Properties"]["Description"]: r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
    }


def test_command_apps_run_behind_the_web_adapter_layer(functions: dict[str, Any]) -> None:
    fn = functions["Adapter"]
    assert fn["Runtime"] == "nodejs22.x" and fn["Handler"] == "run.sh"
    assert fn["Architectures"] == ["arm64"]
    assert fn["Layers"] == [
        "arn:aws:lambda:eu-west-1:753240598075:layer:LambdaAdapterLayerArm64:26"
    ]
    env = fn["Environment"]["Variables"]
    assert env["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/bootstrap"
    assert env["AWS_LWA_READINESS_CHECK_PATH"] == "/api/health" and env["PORT"] == "8080"
    assert env["POLYREGION_TABLE_NOTES"] == "notes-notes"  # the contract, on top
    assert fn["MemorySize"] == 512 and fn["Timeout"] == 10


def test_asgi_apps_run_in_process_through_the_generated_shim(functions: dict[str, Any]) -> None:
    fn = functions["Asgi"]
    assert fn["Handler"] == "_polyregion_handler.handler" and "Layers" not in fn
    assert fn["Architectures"] == ["x86_64"] and fn["Runtime"] == "python3.13"
    assert "AWS_LAMBDA_EXEC_WRAPPER" not in fn["Environment"]["Variables"]


def test_reserved_variables_are_refused(tmp_path: Path) -> None:
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_logs as logs

    from polyregion.infra.app_function import AppFunction

    stack = cdk.Stack(cdk.App(), "r", env=cdk.Environment(region="us-east-1"))
    with pytest.raises(ValueError, match="AWS_REGION"):
        AppFunction(
            stack, "F", settings=parse_lambda(None), asset_dir=tmp_path,
            environment={"AWS_REGION": "x"}, health_path="/", description="x",
            role=iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com")),
            log_group=logs.LogGroup(stack, "L"),
        )  # fmt: skip
