"""Output formats: human (grouped by stack), JSON (the documented shape), SARIF 2.1.0."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from polyregion.lint.model import Finding, LintResult, Severity
from polyregion.lint.rules import all_rules

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/polyregion/polyregion/blob/main/docs/lint-rules.md"


def as_json(result: LintResult) -> dict[str, Any]:
    return {"findings": [f.as_json() for f in result.findings], "summary": result.summary()}


def print_human(result: LintResult, console: Console) -> None:
    groups: dict[str, list[Finding]] = defaultdict(list)
    for finding in result.findings:
        groups[finding.stack or finding.template].append(finding)
    regions = {s.name: s.region for s in result.stacks}
    for group, findings in groups.items():
        region = regions.get(group)
        console.print(f"\n[bold]{escape(group)}[/]" + (f" ({region})" if region else ""))
        for f in findings:
            colour = "red" if f.severity is Severity.ERROR else "yellow"
            console.print(
                f"  [{colour}]{f.severity}[/] [bold]{f.rule}[/] {escape(f.resource)}: "
                f"{escape(f.message)}"
            )
            console.print(f"    fix: {escape(f.fix)}", style="dim")
            console.print(f"    see: {f.reference}", style="dim")
    summary = result.summary()
    line = (
        f"{summary['errors']} error(s), {summary['warnings']} warning(s) in "
        f"{summary['stacks']} stack(s), {summary['resources']} resource(s)"
    )
    extras = [f"{summary[k]} {k}" for k in ("suppressed", "ignored", "skipped") if summary[k]]
    console.print(("\n" if groups else "") + line + (f"; {', '.join(extras)}" if extras else ""))
    for note in summary["notes"]:
        console.print(f"  note: {escape(note)}", style="dim")


def sarif(result: LintResult) -> dict[str, Any]:
    rules = all_rules()
    index = {r.id: i for i, r in enumerate(rules)}
    descriptors = [
        {
            "id": r.id,
            "name": r.nag_id,
            "shortDescription": {"text": r.title},
            "fullDescription": {"text": r.fix},
            "helpUri": r.reference,
            "help": {"text": f"{r.fix} See {r.reference}"},
            "defaultConfiguration": {"level": _level(r.severity)},
        }
        for r in rules
    ]
    results = []
    for f in result.findings:
        entry: dict[str, Any] = {
            "ruleId": f.rule,
            "level": _level(f.severity),
            "message": {"text": f"{f.resource}: {f.message} Fix: {f.fix}"},
            "locations": [_location(f)],
        }
        if f.rule in index:
            entry["ruleIndex"] = index[f.rule]
        results.append(entry)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "polyregion lint",
                        "informationUri": INFORMATION_URI,
                        "rules": descriptors,
                    }
                },
                "results": results,
            }
        ],
    }


def write_sarif(result: LintResult, path: Path) -> None:
    path.write_text(json.dumps(sarif(result), indent=2) + "\n", encoding="utf-8")


def _level(severity: Severity) -> str:
    return "error" if severity is Severity.ERROR else "warning"


def _location(finding: Finding) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(finding.template)}}
    if finding.line:
        physical["region"] = {"startLine": finding.line}
    location: dict[str, Any] = {"physicalLocation": physical}
    if finding.resource and not finding.resource.startswith("line "):
        location["logicalLocations"] = [
            {"name": finding.resource, "fullyQualifiedName": f"{finding.stack}/{finding.resource}"}
        ]
    return location


def _uri(template: str) -> str:
    """Relative to the working directory when inside it: code-scanning UIs map those to files."""
    path = Path(template)
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()
