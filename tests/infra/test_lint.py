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
