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


def test_polyregion_lint_sees_into_the_project_stacks(three: Synth) -> None:
    """The clean result above is not vacuous: break our own templates the seed article's
    ways and the rules fire on the resource that was broken."""
    import copy

    from polyregion.lint import lint
    from polyregion.lint.load import load

    stacks, _ = load([three.out])

    def broken(stack_name: str, kind: str, change: object) -> set[tuple[str, str]]:
        edited = []
        for s in stacks:
            template = copy.deepcopy(s.template)
            if s.name == stack_name:
                for body in template["Resources"].values():
                    if body["Type"] == kind:
                        change(body["Properties"])  # type: ignore[operator]
            edited.append(type(s)(s.name, s.template_path, template, s.region, s.account))
        return {(f.rule, f.stack) for f in lint(edited).findings}

    def caching_optimized(props: dict) -> None:  # type: ignore[type-arg]
        behavior = props["DistributionConfig"]["DefaultCacheBehavior"]
        behavior["CachePolicyId"] = "658327ea-f89d-4fab-a63d-7e88639e58f6"
        behavior.pop("OriginRequestPolicyId")

    def authorize(props: dict) -> None:  # type: ignore[type-arg]
        props["AuthorizationType"] = "AWS_IAM"

    def drop_eu(props: dict) -> None:  # type: ignore[type-arg]
        props["Replicas"] = [r for r in props["Replicas"] if r["Region"] != "eu-west-1"]

    names = three.templates
    edge = next(n for n in names if n.endswith("-edge"))
    regional = next(n for n in names if n.endswith("regional-eu-west-1"))
    data = next(n for n in names if n.endswith("-data"))
    assert ("EDGE4", edge) in broken(edge, "AWS::CloudFront::Distribution", caching_optimized)
    assert ("DNS3", regional) in broken(regional, "AWS::ApiGatewayV2::Route", authorize)
    assert ("DATA5", regional) in broken(data, "AWS::DynamoDB::GlobalTable", drop_eu)
