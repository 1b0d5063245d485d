"""`polyregion synth|build|deploy|destroy`: the CDK stacks from the same topology."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from polyregion.options import ConfigOpt
from polyregion.topology.load import load

BUILT_ASSET = Path("build/lambda")  # where `polyregion build` writes by default

if TYPE_CHECKING:
    from polyregion.infra.plan import Step
    from polyregion.topology.model import Topology

OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Cloud assembly directory (templates).")]
AssetOpt = Annotated[
    Path | None,
    typer.Option(
        "--asset",
        help="A built Lambda asset (polyregion build); default build/lambda when present, "
        "else a source-only stand-in (synth still works offline).",
    ),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Print the plan (every CDK CLI call) and change nothing.")
]


def _quiet_jsii() -> None:
    """Silence jsii's Node-version banner (printed as raw bytes on every run), as the Makefile
    does; Node 20 is what the README asks for. An explicit setting in the environment wins."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")


def synth(config: ConfigOpt = None, out: OutOpt = Path("cdk.out"), asset: AssetOpt = None) -> None:
    """Write one CloudFormation template per stack, cdk-nag checked.

    Offline: no AWS credentials or lookups. Without a build (polyregion build) the Lambda
    asset is a source-only stand-in, which is fine for reviewing templates.
    """
    from rich.console import Console
    from rich.table import Table

    from polyregion.infra.synth import synthesize
    from polyregion.progress import steps

    _quiet_jsii()
    started = time.monotonic()
    with steps("synth") as step:
        step("loading the topology")
        topo = load(config)
        result = synthesize(topo, out=out, asset=asset, on_step=step)
    # The template file is <stack>.template.json: the stack name says it, keep the width for it.
    table = Table(title=f"{topo.name}: stacks")
    table.add_column("stack", no_wrap=True)
    table.add_column("region", no_wrap=True)
    table.add_column("key resources")
    for s in result.stacks:
        table.add_row(s.name, s.region, s.describe())
    console = Console()
    console.print(table)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print(
        f"{len(result.stacks)} templates in {result.out} "
        "(cdk-nag AwsSolutions: no unacknowledged finding; cfn-lint: no error or warning) "
        f"in {time.monotonic() - started:.1f} s"
    )


def build(
    config: ConfigOpt = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Asset directory.")] = BUILT_ASSET,
) -> None:
    """Build the Lambda asset and report its size against Lambda's limits.

    The bundled blog: pip installs the runtime dependencies (not boto3, which Lambda provides)
    for manylinux2014_aarch64 from wheels only, then adds the polyregion package and the
    topology file. An app of your own ([app.lambda]): its code directory, with requirements.txt
    (pip, wheels for its architecture) or package-lock.json (npm ci), or `next build`'s
    standalone server. Needs PyPI or npm.
    """
    from polyregion.infra.package import PLATFORM, PYTHON_VERSION, build_asset

    started = time.monotonic()
    topo = load(config)
    report = build_asset(topo, out)
    if report.reused:
        typer.echo(
            f"{report.path} is current (same code, topology and dependencies): nothing to do "
            f"in {time.monotonic() - started:.1f} s"
        )
        return
    target, python = f"{PLATFORM} / Python {PYTHON_VERSION}", PYTHON_VERSION
    if topo.app_command is not None:
        lam = topo.app_lambda
        target = f"{lam.runtime} {lam.architecture}"
        python = lam.python_version if lam.language == "python" else ""
    lines = [
        f"built {report.path} for {target}: {report.files} files, "
        f"{report.bytes / 1e6:.1f} MB unzipped, {report.zipped_bytes / 1e6:.1f} MB zipped "
        f"(Lambda limits: 250 MB / 50 MB) in {time.monotonic() - started:.1f} s"
    ]
    if report.requirements:
        lines.append(f"requirements: {', '.join(report.requirements)}")
    if python:
        lines.append(
            f"bytecode: precompiled with {report.bytecode}"
            if report.bytecode
            else f"bytecode: none (no python{python} on PATH to precompile it): every "
            "cold start compiles the modules it imports"
        )
    typer.echo("\n".join(lines))


def build_title(topology: Topology) -> str:
    """What `polyregion build` makes for this topology, in the plan's words."""
    if topology.app_command is None:
        from polyregion.infra.package import PLATFORM, PYTHON_VERSION

        return f"build the Lambda asset (the bundled blog, {PLATFORM} / Python {PYTHON_VERSION})"
    s = topology.app_lambda
    how = "behind the Lambda Web Adapter" if s.web_adapter else f"handler {s.handler}"
    return f"build the Lambda asset ({topology.app_dir}, {s.runtime} {s.architecture}, {how})"


def _plan_context(config: Path | None, asset: Path | None) -> tuple[str, list[str]]:
    from polyregion.infra.plan import app_command, cdk_command

    return app_command(sys.executable, config, asset), cdk_command()


def _show(plan_steps: Sequence[Step], notes: tuple[str, ...]) -> None:
    for i, step in enumerate(plan_steps, start=1):
        typer.echo(f"{i}. {step.title}\n   $ {step.render()}")
    for note in notes:
        typer.echo(f"note: {note}")


def deploy(
    config: ConfigOpt = None,
    out: OutOpt = Path("cdk.out"),
    dry_run: DryRunOpt = False,
    yes: Annotated[
        bool, typer.Option("--yes", help="Do not ask to approve IAM/security changes.")
    ] = False,
) -> None:
    """Deploy every stack, in order, with the CDK CLI.

    Buckets, data, secret, regions, edge, then replication (see --dry-run). Uses `cdk` or
    `npx aws-cdk@2`; needs AWS credentials and aws.hosted_zone_id in the topology.
    """
    from polyregion.errors import ConfigError
    from polyregion.infra import package, plan

    _quiet_jsii()  # the plan's steps run the CDK app, which starts jsii
    topo = load(config)
    app, cdk = _plan_context(config, BUILT_ASSET)
    the_plan = plan.deploy_plan(topo, app=app, out=out, cdk=cdk, approve=yes)
    steps = list(the_plan.steps)
    if not package.is_current_build(BUILT_ASSET, topo):
        build_step = plan.Step(
            f"{build_title(topo)}: none yet, or the code, topology or dependencies changed "
            "since the last build",
            (
                sys.executable,
                "-m",
                "polyregion.cli",
                "build",
                *(["-c", str(config)] if config else []),
            ),
        )
        steps.insert(0, build_step)
    if dry_run:
        _show(steps, the_plan.notes)
        return
    if topo.aws.hosted_zone_id is None:
        raise ConfigError(
            "aws.hosted_zone_id",
            None,
            f"add hosted_zone_id (the Route 53 zone of {topo.domain}) under [aws] in the topology",
        )
    plan.execute(plan.Plan(tuple(steps)), out=out, echo=typer.echo)


def destroy(
    config: ConfigOpt = None, out: OutOpt = Path("cdk.out"), dry_run: DryRunOpt = False
) -> None:
    """Destroy the stacks in reverse order (tables, buckets and secret are kept)."""
    from polyregion.infra import plan

    _quiet_jsii()
    topo = load(config)
    app, cdk = _plan_context(config, None)
    the_plan = plan.destroy_plan(topo, app=app, out=out, cdk=cdk)
    if dry_run:
        _show(the_plan.steps, the_plan.notes)
        return
    plan.execute(the_plan, out=out, echo=typer.echo)
    for note in the_plan.notes:
        typer.echo(f"note: {note}")


def register(app: typer.Typer) -> None:
    app.command("synth")(synth)
    app.command("build")(build)
    app.command("deploy")(deploy)
    app.command("destroy")(destroy)
