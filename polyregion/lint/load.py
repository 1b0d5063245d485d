"""Read what `polyregion lint` is given: cdk.out directories, template files, runbooks.

A cloud assembly's `manifest.json` says each stack's template, account and region (nested
assemblies, e.g. CDK Stages, are followed). Plain templates are JSON or YAML with the short
intrinsic tags (`!Ref`, `!GetAtt A.B`, `!Sub`...), read with cfn-lint's own YAML loader so the
tags mean exactly what CloudFormation makes of them. Their region comes from `--region
STACK=REGION` (STACK is the file name without `.template.json`/`.yaml`).

Anything unreadable raises LintInputError (exit 2, one line naming the file), never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from polyregion.errors import PolyregionError
from polyregion.lint.model import Runbook, Stack

TEMPLATE_SUFFIXES = (".json", ".yaml", ".yml", ".template")
RUNBOOK_SUFFIXES = (".md", ".markdown", ".sh", ".bash", ".txt", ".rst")
UNKNOWN_ENV = ("unknown-account", "unknown-region")


class LintInputError(PolyregionError):
    """An input of `polyregion lint` cannot be read (missing, not a template, bad --region)."""


def load(
    paths: Iterable[Path], regions: Mapping[str, str] | None = None
) -> tuple[list[Stack], list[Runbook]]:
    stacks: list[Stack] = []
    runbooks: list[Runbook] = []
    for path in paths:
        if path.is_dir():
            stacks += load_assembly(path)
        elif not path.exists():
            raise LintInputError(f"{path}: no such file or directory")
        elif path.suffix.lower() in RUNBOOK_SUFFIXES:
            runbooks.append(Runbook(path, _read_text(path)))
        else:
            stacks.append(load_template(path))
    return _with_regions(stacks, dict(regions or {})), runbooks


def load_assembly(directory: Path) -> list[Stack]:
    manifest_path = directory / "manifest.json"
    if not manifest_path.is_file():
        raise LintInputError(
            f"{directory}: no manifest.json; pass a cdk.out directory (run `cdk synth`) "
            "or template files"
        )
    manifest = _json(manifest_path)
    stacks: list[Stack] = []
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    for artifact_id, artifact in (artifacts or {}).items():
        kind = artifact.get("type")
        props = artifact.get("properties") or {}
        if kind == "cdk:cloud-assembly" and "directoryName" in props:
            stacks += load_assembly(directory / props["directoryName"])
        elif kind == "aws:cloudformation:stack" and "templateFile" in props:
            account, region = _environment(artifact.get("environment", ""))
            stack = load_template(directory / props["templateFile"])
            stacks.append(
                Stack(
                    name=props.get("stackName") or artifact.get("displayName") or artifact_id,
                    template_path=stack.template_path,
                    template=stack.template,
                    region=region,
                    account=account,
                    lines=stack.lines,
                )
            )
    return stacks


def load_template(path: Path) -> Stack:
    text = _read_text(path)
    if path.suffix.lower() == ".json":
        try:
            template: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LintInputError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    else:
        template = _yaml(path, text)
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        raise LintInputError(f"{path}: not a CloudFormation template (no Resources section)")
    return Stack(
        name=stack_name(path), template_path=path, template=template, lines=_lines(text, template)
    )


def stack_name(path: Path) -> str:
    name = path.name
    for suffix in (".template.json", ".template.yaml", ".template.yml", *TEMPLATE_SUFFIXES):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def parse_region_options(values: Iterable[str]) -> dict[str, str]:
    regions: dict[str, str] = {}
    for value in values:
        stack, sep, region = value.partition("=")
        if not sep or not stack or not region:
            raise LintInputError(
                f"--region {value!r} is invalid: write STACK=REGION, e.g. --region web=eu-west-1"
            )
        regions[stack] = region
    return regions


def _with_regions(stacks: list[Stack], regions: dict[str, str]) -> list[Stack]:
    unknown = sorted(set(regions) - {s.name for s in stacks})
    if unknown:
        names = ", ".join(s.name for s in stacks) or "none"
        raise LintInputError(
            f"--region names unknown stack(s) {', '.join(unknown)}; stacks: {names}"
        )
    return [
        Stack(s.name, s.template_path, s.template, regions[s.name], s.account, s.lines)
        if s.name in regions
        else s
        for s in stacks
    ]


def _environment(env: str) -> tuple[str | None, str | None]:
    # "aws://111122223333/eu-west-1"; environment-agnostic stacks say unknown-account/-region.
    parts = env.removeprefix("aws://").split("/")
    if len(parts) != 2:
        return None, None
    account, region = parts
    return (
        None if account == UNKNOWN_ENV[0] else account,
        None if region == UNKNOWN_ENV[1] else region,
    )


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LintInputError(f"{path}: cannot be read ({exc})") from None


def _json(path: Path) -> Any:
    try:
        return json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise LintInputError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None


def _yaml(path: Path, text: str) -> Any:
    try:
        from cfnlint.decode import cfn_yaml
    except ImportError:  # pragma: no cover - cfn-lint is a dependency of the lint extra
        raise LintInputError(
            f"{path}: YAML templates need cfn-lint: pip install 'polyregion[lint]'"
        ) from None
    try:
        return cfn_yaml.loads(text, str(path))
    except Exception as exc:  # cfn-lint raises yaml's errors and its own CfnParseError
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LintInputError(f"{path}: not a valid YAML template ({first})") from None


def _lines(text: str, template: dict[str, Any]) -> dict[str, int]:
    """1-based line of each logical id's first key occurrence after `Resources`."""
    start = text.find("Resources")
    lines: dict[str, int] = {}
    resources = template.get("Resources")
    for logical_id in resources if isinstance(resources, dict) else {}:
        for needle in (f'"{logical_id}"', f"{logical_id}:"):
            at = text.find(needle, max(start, 0))
            if at >= 0:
                lines[str(logical_id)] = text.count("\n", 0, at) + 1
                break
    return lines
