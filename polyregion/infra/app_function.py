"""The Lambda function of an app of your own, in either of its two shapes.

- `[app] command` behind the AWS Lambda Web Adapter (`[app.lambda]` without `handler`): the
  adapter's public layer for the function's architecture, `run.sh` as the handler, the
  adapter's settings (web_adapter.py) on top of the contract environment;
- a Python ASGI app in-process (`handler = "module:app"`): `polyregion build` writes a tiny
  `_polyregion_handler.py` that wraps the app with Mangum, and that is the handler.

The environment is the contract's (POLYREGION_REGION, tables, buckets, secrets...), given by
the caller; `AWS_REGION`/`AWS_DEFAULT_REGION` are reserved on Lambda and never set here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Final

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from polyregion.infra import web_adapter
from polyregion.infra.app_package import ASGI_SHIM
from polyregion.infra.tidy import depend_only_on_default_policy
from polyregion.topology.lambda_settings import LambdaSettings

RESERVED: Final = frozenset({"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME"})


def function_role(
    scope: Construct, *, description: str, statements: list[iam.PolicyStatement]
) -> tuple[logs.LogGroup, iam.Role]:
    """A function's log group (one month, removed with the stack) and its role: exactly
    `statements` inline, plus writing to that log group. Made in `scope` as "Logs" and
    "Role", the ids both the bundled blog's function and a declared app's use."""
    log_group = logs.LogGroup(
        scope,
        "Logs",
        retention=logs.RetentionDays.ONE_MONTH,
        removal_policy=RemovalPolicy.DESTROY,
    )
    role = iam.Role(
        scope,
        "Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=description,
        inline_policies={"app": iam.PolicyDocument(statements=statements)},
    )
    log_group.grant_write(role)
    return log_group, role


def runtime_of(settings: LambdaSettings) -> lambda_.Runtime:
    family = (
        lambda_.RuntimeFamily.PYTHON
        if settings.language == "python"
        else lambda_.RuntimeFamily.NODEJS
    )
    return lambda_.Runtime(settings.runtime, family)


def architecture_of(settings: LambdaSettings) -> lambda_.Architecture:
    return (
        lambda_.Architecture.ARM_64
        if settings.architecture == "arm64"
        else lambda_.Architecture.X86_64
    )


class AppFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: LambdaSettings,
        asset_dir: Path,
        environment: Mapping[str, str],
        health_path: str,
        role: iam.IRole,
        log_group: logs.ILogGroup,
        description: str,
    ) -> None:
        super().__init__(scope, id)
        reserved = RESERVED & set(environment)
        if reserved:
            raise ValueError(f"reserved by Lambda, cannot be set: {', '.join(sorted(reserved))}")
        env = dict(environment)
        layers: list[lambda_.ILayerVersion] = []
        if settings.web_adapter:
            handler = web_adapter.HANDLER
            env.update(web_adapter.adapter_environment(health_path=health_path))
            region = Stack.of(self).region
            layers.append(
                lambda_.LayerVersion.from_layer_version_arn(
                    self, "WebAdapter", web_adapter.layer_arn(region, settings.architecture)
                )
            )
        else:
            handler = f"{ASGI_SHIM}.handler"
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=runtime_of(settings),
            architecture=architecture_of(settings),
            handler=handler,
            code=lambda_.Code.from_asset(str(asset_dir)),
            layers=layers,
            memory_size=settings.memory_mb,
            timeout=Duration.seconds(settings.timeout_s),
            role=role,
            log_group=log_group,
            environment=env,
            description=description,
        )
        depend_only_on_default_policy(self.function)  # cfn-lint W3005 (tidy.py)
