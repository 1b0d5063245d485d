"""cfn-lint on every synthesized template: zero errors (warnings are CDK's own style)."""

from __future__ import annotations

import pytest

from tests.infra.conftest import Synth

pytestmark = pytest.mark.infra


def test_cfn_lint_finds_no_error_in_any_template(two: Synth, three: Synth) -> None:
    from cfnlint.api import lint
    from cfnlint.core import get_rules

    rules = get_rules([], [], [])  # load the rule set once, not once per template
    errors = []
    for s in (two, three):
        for name in s.templates:
            path = s.out / f"{name}.template.json"
            matches = lint(path.read_text(), rules=rules, regions=[s.regions[name]])
            errors += [f"{name}: {m}" for m in matches if m.rule.id.startswith("E")]
    assert errors == []


def test_polyregion_lint_finds_no_error_in_the_projects_own_stacks(
    two: Synth, three: Synth
) -> None:
    """Issue 14: the project's stacks lint clean (all stacks at once, regions from manifest)."""
    from polyregion.lint import lint_paths

    for s in (two, three):
        result = lint_paths([s.out])
        assert [f.as_json() for f in result.findings if f.severity == "error"] == []
        assert result.summary()["stacks"] == len(s.templates)
