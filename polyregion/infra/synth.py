"""Synthesize the topology's stacks into a cloud assembly, and summarize what came out.

Shared by `polyregion synth`, the CDK CLI's app entry (`python -m polyregion.infra`) and the
tests, so all three produce the same templates. Offline: no lookups, no AWS credentials.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from polyregion.errors import PolyregionError
from polyregion.infra import package
from polyregion.infra.static_site import static_site
from polyregion.topology.model import Topology

DEFAULT_WORK: Final = Path("build")
BUILT_ASSET: Final = DEFAULT_WORK / "lambda"  # where `polyregion build` puts the asset
# Resource types worth a column in the summary, with short labels.
KEY_TYPES: Final = {
    "AWS::DynamoDB::GlobalTable": "global table",
    "AWS::DynamoDB::Table": "table",
    "AWS::SecretsManager::Secret": "secret",
    "AWS::S3::Bucket": "bucket",
    "AWS::Lambda::Function": "function",
    "AWS::ApiGatewayV2::Api": "http api",
    "AWS::ApiGatewayV2::DomainName": "domain",
    "AWS::CertificateManager::Certificate": "certificate",
    "AWS::Route53::HealthCheck": "health check",
    "AWS::Route53::RecordSet": "record",
    "AWS::CloudFront::Distribution": "distribution",
    "AWS::IAM::Role": "role",
}


class SynthError(PolyregionError):
    """Synthesis failed, e.g. a cdk-nag finding that nobody acknowledged."""


@dataclass(frozen=True, slots=True)
class StackSummary:
    name: str
    region: str
    template: Path
    resources: dict[str, int]

    def describe(self) -> str:
        return ", ".join(
            f"{n} {label}{'s' if n > 1 else ''}"
            for t, label in KEY_TYPES.items()
            if (n := self.resources.get(t, 0))
        )


@dataclass(frozen=True, slots=True)
class SynthResult:
    out: Path
    stacks: tuple[StackSummary, ...]
    asset: Path
    full_asset: bool
    notes: tuple[str, ...]
    assembly: Any  # aws_cdk.cx_api.CloudAssembly (kept loose: aws-cdk-lib is imported lazily)


def resolve_asset(asset: Path | None, topology: Topology, work: Path) -> tuple[Path, bool]:
    """A built asset if there is one, else the offline source-only stand-in."""
    candidate = asset or work / "lambda"
    if package.is_current_build(candidate, topology):
        return candidate, True
    if asset is not None:
        what = "is out of date (code, topology or dependencies changed)"
        if not package.is_full_build(asset):
            what = "is not a built Lambda asset"
        raise SynthError(f"{asset} {what}; run `polyregion build` first")
    return package.stage_source_asset(topology, work / "synth" / "lambda-src"), False


def stage_app_source(topology: Topology, dest: Path) -> Path:
    """Offline stand-in for an own app's package: its code, run.sh or the ASGI shim, no
    dependencies (`polyregion build` installs them)."""
    from polyregion.infra.app_package import package_app

    return package_app(
        topology.app_lambda,
        app_dir=topology.app_dir,
        command=topology.app_command,
        dest=dest,
        install=False,
    ).path


def prepare_out(out: Path) -> None:
    """A bad --out is one line now, not a jsii traceback (or a hang) after the slow CDK import."""
    if out.exists() and not out.is_dir():
        raise SynthError(f"--out {out} is a file; name a directory for the templates")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SynthError(f"--out {out} cannot be created ({exc.strerror})") from None


def synthesize(
    topology: Topology,
    *,
    out: Path | None,
    asset: Path | None = None,
    work: Path = DEFAULT_WORK,
    checks: bool = True,
    on_step: Callable[[str], None] = lambda _name: None,
) -> SynthResult:
    """Build the app and synthesize it to `out` (None: $CDK_OUTDIR, as under the CDK CLI).

    `on_step(name)` is told each step as it starts (the CLI's progress display)."""
    on_step("staging the Lambda asset and static files")
    if out is not None:
        prepare_out(out)
    if topology.app_command is None:  # the bundled blog
        asset_dir, full = resolve_asset(asset, topology, work)  # before the slow CDK import
    else:  # an app of your own: its build, else its code without its dependencies
        candidate = asset or work / "lambda"
        if package.is_current_build(candidate, topology):
            asset_dir, full = candidate, True
        elif asset is not None:
            raise SynthError(f"{asset} is not a current build of the app; run `polyregion build`")
        else:
            asset_dir, full = stage_app_source(topology, work / "synth" / "app-src"), False
    static = static_site(topology, asset=asset_dir if full else None, work=work)

    on_step("loading the AWS CDK")
    from polyregion.infra.app import build_app

    on_step("building the stacks")
    app, _ = build_app(topology, asset_dir=asset_dir, static=static, outdir=out, checks=checks)
    on_step("synthesizing the templates (cdk-nag checks)")
    try:
        assembly = app.synth()
    except RuntimeError as exc:  # jsii surfaces the CDK's errors as RuntimeError
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        findings = validation_findings(Path(out or os.environ.get("CDK_OUTDIR", "cdk.out")))
        if findings:  # name every unacknowledged cdk-nag rule, not just "validation failed"
            first = f"unacknowledged cdk-nag findings: {', '.join(sorted(set(findings)))}"
        raise SynthError(f"synthesis failed: {first}") from None
    from polyregion.infra.names import stack_names

    order = {name: i for i, name in enumerate(stack_names(topology).values())}
    stacks = []
    for stack in sorted(assembly.stacks, key=lambda s: order.get(s.stack_name, len(order))):
        template = Path(assembly.directory) / stack.template_file
        resources = json.loads(template.read_text(encoding="utf-8")).get("Resources", {})
        stacks.append(
            StackSummary(
                name=stack.stack_name,
                region=stack.environment.region,
                template=template,
                resources=dict(Counter(r["Type"] for r in resources.values())),
            )
        )
    if checks:
        from polyregion.infra.lint import CACHE_NAME, lint_templates

        problems = lint_templates(
            ((s.name, s.region, s.template) for s in stacks),
            cache=Path(assembly.directory) / CACHE_NAME,
        )
        if problems:
            listed = "; ".join(str(f) for f in problems[:5])
            more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
            raise SynthError(f"cfn-lint found {len(problems)} problem(s): {listed}{more}")
    notes = []
    if not full:
        notes.append(
            "Lambda asset is source-only (no dependencies): run `polyregion build` before deploy"
        )
    if topology.aws.hosted_zone_id is None:
        notes.append("aws.hosted_zone_id unset: records use a placeholder zone id (synth only)")
    return SynthResult(
        out=Path(assembly.directory),
        stacks=tuple(stacks),
        asset=asset_dir,
        full_asset=full,
        notes=tuple(notes),
        assembly=assembly,
    )


def validation_findings(out: Path) -> list[str]:
    """Rule names of unacknowledged cdk-nag findings in the report CDK leaves on failure."""
    report = out / "validation-report.json"
    if not report.is_file():
        return []
    data = json.loads(report.read_text(encoding="utf-8"))
    return [
        v["ruleName"]
        for plugin in data.get("pluginReports", [])
        for v in plugin.get("violations", [])
    ]
