"""cfn-lint over every synthesized template, as a library, next to cdk-nag.

The README promises templates that are cfn-lint clean: `polyregion synth` now checks it instead
of trusting it. Errors (E) and warnings (W) fail synthesis; informational matches (I) do not.
Each template is linted for its own stack's region (resource types and properties differ).

Linting 7 templates costs ~5-7 s, a third of a synth. A template whose bytes, region and
cfn-lint version are unchanged since the last synth into the same directory has the same
findings: they are kept in `<out>/.cfn-lint-cache.json` and reused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

CACHE_NAME: Final = ".cfn-lint-cache.json"  # in the cloud assembly directory


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


def _key(text: str, region: str) -> str:
    from cfnlint.version import __version__

    return hashlib.sha256(f"{__version__}\0{region}\0{text}".encode()).hexdigest()


def _lint_one(stack: str, region: str, text: str) -> list[LintFinding]:
    from cfnlint.api import lint

    findings = []
    for match in lint(text, rules=_rule_set(), regions=[region]):
        rule = str(match.rule.id)
        if rule[:1] in ("E", "W"):
            where = "/".join(str(p) for p in getattr(match, "path", []) or [])
            findings.append(LintFinding(stack, rule, str(match.message), where))
    return findings


def lint_templates(
    templates: Iterable[tuple[str, str, Path]], *, cache: Path | None = None
) -> list[LintFinding]:
    """(stack name, region, template path) -> every E and W finding; `cache` a JSON file of
    earlier results by template hash (read and rewritten)."""
    known: dict[str, list[dict[str, str]]] = {}
    if cache is not None and cache.is_file():
        try:
            known = json.loads(cache.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            known = {}
    fresh: dict[str, list[dict[str, str]]] = {}
    findings: list[LintFinding] = []
    for stack, region, path in templates:
        text = path.read_text(encoding="utf-8")
        key = _key(text, region)
        if key in known:
            found = [LintFinding(**f) for f in known[key]]
        else:
            found = _lint_one(stack, region, text)
        fresh[key] = [asdict(f) for f in found]
        findings += found
    if cache is not None:
        try:
            cache.write_text(json.dumps(fresh), encoding="utf-8")
        except OSError:
            pass  # a cache we cannot write costs time, never correctness
    return findings
