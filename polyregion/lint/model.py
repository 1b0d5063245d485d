"""What the linter reads and what it reports: stacks, runbooks, findings and notes.

Everything here is plain data so the rules stay pure functions of an `App` (the stacks of one
application, all regions at once) and the output formats never need to know about rules.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Stack:
    """One CloudFormation template as deployed: a name, where it goes, and its content."""

    name: str
    template_path: Path
    template: dict[str, Any]
    region: str | None = None  # None: the input did not say (see --region)
    account: str | None = None
    # Line of each resource's logical id in the file (YAML and JSON), for SARIF locations.
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources = self.template.get("Resources")
        return resources if isinstance(resources, dict) else {}


@dataclass(frozen=True, slots=True)
class Runbook:
    """A text file (Markdown, shell) with operating instructions: only drill rules read it."""

    path: Path
    text: str


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: Severity
    stack: str
    template: str
    resource: str  # logical id ("line N" for a runbook)
    message: str
    fix: str
    reference: str
    line: int | None = None

    def as_json(self) -> dict[str, str]:
        """Exactly the keys `polyregion lint --json` documents (docs/lint-rules.md)."""
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "stack": self.stack,
            "template": self.template,
            "resource": self.resource,
            "message": self.message,
            "fix": self.fix,
            "reference": self.reference,
        }


@dataclass(frozen=True, slots=True)
class Note:
    """Something a rule could not decide (an unresolved intrinsic, an unknown type): the
    resource was skipped for that rule. Counted in the summary, never an error."""

    stack: str
    resource: str
    text: str


@dataclass(frozen=True, slots=True)
class Suppressed:
    rule: str
    stack: str
    resource: str
    reason: str


@dataclass(frozen=True, slots=True)
class LintResult:
    findings: tuple[Finding, ...]
    notes: tuple[Note, ...]
    suppressed: tuple[Suppressed, ...]
    stacks: tuple[Stack, ...]
    runbooks: tuple[Runbook, ...]
    ignored: int = 0

    @property
    def errors(self) -> int:
        return sum(f.severity is Severity.ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity is Severity.WARNING for f in self.findings)

    def summary(self) -> dict[str, Any]:
        return {
            "errors": self.errors,
            "warnings": self.warnings,
            "stacks": len(self.stacks),
            "runbooks": len(self.runbooks),
            "resources": sum(len(s.resources) for s in self.stacks),
            "suppressed": len(self.suppressed),
            "ignored": self.ignored,
            "skipped": len(self.notes),
            "notes": [f"{n.stack}/{n.resource}: {n.text}" for n in self.notes],
        }
