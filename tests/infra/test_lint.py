"""cfn-lint on every synthesized template: no error and no warning (synth itself enforces it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polyregion.infra.lint import lint_templates
from tests.infra.conftest import Synth

pytestmark = pytest.mark.infra


def test_cfn_lint_finds_no_error_or_warning_in_any_template(two: Synth, three: Synth) -> None:
    """Defect 8: four templates carried W3005 (a DependsOn already implied by a GetAtt)."""
    findings = [
        f
        for s in (two, three)
        for f in lint_templates(
            (name, s.regions[name], s.out / f"{name}.template.json") for name in s.templates
        )
    ]
    assert [str(f) for f in findings] == []


def test_synth_says_it_ran_cfn_lint(two: Synth) -> None:
    assert "cfn-lint: no error or warning" in " ".join(two.stdout.split())


def test_lint_reports_warnings_with_stack_rule_and_path(tmp_path: Path) -> None:
    template = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "lambda.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                },
            },
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "DependsOn": ["Role"],
                "Properties": {
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Runtime": "python3.13",
                    "Handler": "a.b",
                    "Code": {"ZipFile": "x"},
                },
            },
        }
    }
    path = tmp_path / "t.json"
    path.write_text(json.dumps(template))
    (finding,) = lint_templates([("demo", "us-east-1", path)])
    assert finding.rule == "W3005" and finding.stack == "demo"
    assert "Resources/Fn/DependsOn" in finding.path


def test_lint_results_are_reused_for_unchanged_templates(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}))
    cache = tmp_path / "cache.json"
    assert lint_templates([("s", "us-east-1", path)], cache=cache) == []
    key = next(iter(json.loads(cache.read_text())))
    # A planted finding for that exact template proves the cache is read, not re-linted.
    cache.write_text(json.dumps({key: [{"stack": "s", "rule": "W1", "message": "m", "path": ""}]}))
    (hit,) = lint_templates([("s", "us-east-1", path)], cache=cache)
    assert hit.rule == "W1"
    path.write_text(json.dumps({"Resources": {"C": {"Type": "AWS::S3::Bucket"}}}))
    assert lint_templates([("s", "us-east-1", path)], cache=cache) == []  # changed: re-linted


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
