"""Run the rules over an app and settle suppressions: the one entry point every output uses.

A rule that raises on some odd template is a bug in the rule, not in the user's template: the
engine records a note naming the rule and carries on, so one finding never hides the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from polyregion.lint import load as loading
from polyregion.lint.graph import App
from polyregion.lint.model import Finding, LintResult, Note, Runbook, Severity, Stack, Suppressed
from polyregion.lint.rules import Context, Hit, Rule, all_rules, by_id
from polyregion.lint.suppress import suppressions

KNOWN_PREFIX = "AWS::"


def lint_paths(
    paths: Iterable[Path],
    *,
    regions: dict[str, str] | None = None,
    ignore: Iterable[str] = (),
) -> LintResult:
    stacks, runbooks = loading.load(paths, regions)
    return lint(stacks, runbooks, ignore=ignore)


def lint(
    stacks: list[Stack],
    runbooks: list[Runbook] | None = None,
    *,
    ignore: Iterable[str] = (),
    rules: Iterable[Rule] | None = None,
) -> LintResult:
    ignored_ids = {_rule_id(i) for i in ignore}
    ctx = Context(App(stacks), list(runbooks or []))
    findings: list[Finding] = []
    suppressed: list[Suppressed] = []
    ignored = 0
    for rule in all_rules() if rules is None else list(rules):
        try:
            hits = list(rule.check(ctx))
        except Exception as exc:
            ctx.notes.append(Note("-", "-", f"{rule.id} failed on these templates: {exc!r}"))
            continue
        for hit in hits:
            finding = _finding(rule, hit)
            if rule.id in ignored_ids:
                ignored += 1
                continue
            reason = _suppressed_by(stacks, finding, rule.id, findings)
            if reason is not None:
                suppressed.append(Suppressed(rule.id, finding.stack, finding.resource, reason))
            else:
                findings.append(finding)
    for stack in stacks:
        for logical_id, body in stack.resources.items():
            kind = str(body.get("Type", "")) if isinstance(body, dict) else ""
            if not kind.startswith(KNOWN_PREFIX):
                ctx.notes.append(Note(stack.name, logical_id, f"{kind or 'no Type'}: not examined"))
    return LintResult(
        findings=tuple(findings),
        notes=tuple(ctx.notes),
        suppressed=tuple(suppressed),
        stacks=tuple(stacks),
        runbooks=tuple(runbooks or ()),
        ignored=ignored,
    )


def _rule_id(value: str) -> str:
    rule = by_id(value)
    if rule is None:
        from polyregion.lint.load import LintInputError

        known = ", ".join(r.id for r in all_rules())
        raise LintInputError(f"--ignore {value!r}: no such rule; rules: {known}")
    return rule.id


def _finding(rule: Rule, hit: Hit) -> Finding:
    if hit.runbook is not None:
        stack, template, resource = "", str(hit.runbook.path), f"line {hit.line}"
    elif hit.resource is not None:
        stack = hit.resource.stack.name
        template = str(hit.resource.stack.template_path)
        resource = hit.resource.logical_id
    else:
        stack, template, resource = "", "", ""
    line = hit.line
    if line is None and hit.resource is not None:
        line = hit.resource.stack.lines.get(hit.resource.logical_id)
    return Finding(
        rule=rule.id,
        severity=hit.severity or rule.severity,
        stack=stack,
        template=template,
        resource=resource,
        message=hit.message,
        fix=rule.fix,
        reference=rule.reference,
        line=line,
    )


def _suppressed_by(
    stacks: list[Stack], finding: Finding, rule_id: str, findings: list[Finding]
) -> str | None:
    stack = next((s for s in stacks if s.name == finding.stack), None)
    if stack is None:
        return None
    for entry in suppressions(stack, finding.resource) + suppressions(stack, None):
        if entry.rule != rule_id:
            continue
        if entry.valid:
            return entry.reason
        findings.append(
            Finding(
                rule="SUPPRESS",
                severity=Severity.ERROR,
                stack=finding.stack,
                template=finding.template,
                resource=finding.resource,
                message=f"suppression of {rule_id} has no reason (at least 10 characters): "
                "it suppresses nothing",
                fix="Add `reason:` saying why the rule does not apply here.",
                reference="https://github.com/cdklabs/cdk-nag#acknowledging-a-rule",
                line=finding.line,
            )
        )
    return None
