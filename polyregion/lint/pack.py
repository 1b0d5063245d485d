"""The single-template rules as a cdk-nag 3.x pack, so their findings land in `cdk synth`'s
policy validation report next to AwsSolutions':

    from aws_cdk import App, Validations
    from cdk_nag import AwsSolutionsChecks
    from polyregion.lint import MultiRegionChecks

    app = App()
    ...                                            # your stacks
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), MultiRegionChecks(app))

Acknowledge a finding like any cdk-nag rule:
`Validations.of(construct).acknowledge(Acknowledgment(id="MultiRegion-DNS1", reason="..."))`.

How it works: CDK calls `validate` after writing the templates; the pack reads each stack's
template from the context's template paths, runs the rules marked `pack=True` on it (one
template at a time: cross-stack rules such as EDGE1, DATA1, PLUMB1 need the whole app and run
in `polyregion lint cdk.out` only), then walks the construct tree through cdk-nag's
`validate_scope` so every violation goes through `applyRule`: acknowledgments, severities and
the report format are cdk-nag's own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import jsii
from aws_cdk import CfnResource, IPolicyValidationContext, PolicyValidationPluginReport, Stack
from cdk_nag import IApplyRule, NagMessageLevel, NagPack, NagRuleCompliance
from constructs import IConstruct

from polyregion.lint.engine import lint
from polyregion.lint.model import Finding, Severity
from polyregion.lint.model import Stack as Template
from polyregion.lint.rules import PACK_NAME, all_rules


@dataclass(frozen=True, slots=True)
class _Pending:
    finding: Finding
    title: str


class MultiRegionChecks(NagPack):
    """cdk-nag pack `MultiRegion`: the single-template rules of polyregion lint."""

    def __init__(self, scope: IConstruct | None = None, *, verbose: bool | None = None) -> None:
        super().__init__(scope, verbose=verbose)
        self._pack_name = PACK_NAME
        self._pending: dict[tuple[str, str], list[_Pending]] = {}

    @property
    def name(self) -> str:
        return PACK_NAME

    @property
    def rule_ids(self) -> list[str]:
        return [r.nag_id for r in all_rules() if r.pack]

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        self._pending = findings_by_resource(list(context.template_paths))
        return self.validate_scope(context.app_construct)

    def _check_resource(self, node: CfnResource) -> None:
        if not self._pending:  # the common case: nothing found, no per-resource jsii calls
            return
        stack = Stack.of(node)
        key = (stack.template_file, str(stack.resolve(node.logical_id)))
        for pending in self._pending.get(key, ()):
            self._apply_rule(cast(IApplyRule, _Violation(node, pending)))


@jsii.implements(IApplyRule)
class _Violation:
    """One finding, handed to cdk-nag's applyRule (which checks acknowledgments). jsii reads
    interface members through class properties, not instance attributes."""

    def __init__(self, node: CfnResource, pending: _Pending) -> None:
        self._node = node
        self._pending = pending

    @property
    def node(self) -> CfnResource:
        return self._node

    @property
    def rule_suffix_override(self) -> str:
        return self._pending.finding.rule

    @property
    def info(self) -> str:
        return f"{self._pending.title}: {self._pending.finding.message}"

    @property
    def explanation(self) -> str:
        finding = self._pending.finding
        return f"Fix: {finding.fix} ({finding.reference})"

    @property
    def level(self) -> NagMessageLevel:
        error = self._pending.finding.severity is Severity.ERROR
        return NagMessageLevel.ERROR if error else NagMessageLevel.WARN

    def rule(self, node: CfnResource) -> NagRuleCompliance:
        return NagRuleCompliance.NON_COMPLIANT


def findings_by_resource(template_paths: list[str]) -> dict[tuple[str, str], list[_Pending]]:
    """Run the pack rules on each template alone; key findings by (template file, logical id)."""
    rules = [r for r in all_rules() if r.pack]
    titles = {r.id: r.title for r in rules}
    found: dict[tuple[str, str], list[_Pending]] = {}
    for template_path in template_paths:
        path = Path(template_path)
        template: Any = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
            continue
        stack = Template(
            name=path.name.removesuffix(".template.json"), template_path=path, template=template
        )
        for finding in lint([stack], rules=rules).findings:
            if finding.rule in titles:
                pending = _Pending(finding, titles[finding.rule])
                found.setdefault((path.name, finding.resource), []).append(pending)
    return found
