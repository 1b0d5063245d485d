"""cfn-lint over every synthesized template, as a library, next to cdk-nag.

The README promises templates that are cfn-lint clean: `polyregion synth` now checks it instead
of trusting it. Errors (E) and warnings (W) fail synthesis; informational matches (I) do not.
Each template is linted for its own stack's region (resource types and properties differ).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class LintFinding:
    stack: str
    rule: str
    message: str
    path: str

    def __str__(self) -> str:
        return f"{self.stack}: {self.rule} {self.message} (at {self.path})"


_rules: Any = None


def _rule_set() -> Any:
    """Loading the rules costs ~1 s; once per process (synth, or a test session)."""
    global _rules
    if _rules is None:
        from cfnlint.core import get_rules

        _rules = get_rules([], [], [])
    return _rules


def lint_templates(templates: Iterable[tuple[str, str, Path]]) -> list[LintFinding]:
    """(stack name, region, template path) -> every E and W finding."""
    from cfnlint.api import lint

    rules = _rule_set()
    findings = []
    for stack, region, path in templates:
        for match in lint(path.read_text(encoding="utf-8"), rules=rules, regions=[region]):
            rule = str(match.rule.id)
            if rule[:1] in ("E", "W"):
                where = "/".join(str(p) for p in getattr(match, "path", []) or [])
                findings.append(LintFinding(stack, rule, str(match.message), where))
    return findings
