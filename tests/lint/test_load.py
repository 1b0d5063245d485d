from __future__ import annotations

import json
from pathlib import Path

import pytest

from polyregion.lint.load import LintInputError, load, parse_region_options, stack_name


def test_yaml_short_tags_become_intrinsics(tmp_path: Path) -> None:
    path = tmp_path / "web.yaml"
    path.write_text(
        "Resources:\n  A:\n    Type: AWS::S3::Bucket\n    Properties:\n"
        "      X: !GetAtt B.Arn\n      Y: !Sub '${AWS::Region}-x'\n      Z: !ImportValue shared\n"
    )
    (stack,), _ = load([path], {"web": "eu-west-1"})
    props = stack.resources["A"]["Properties"]
    assert props["X"] == {"Fn::GetAtt": ["B", "Arn"]}
    assert props["Y"] == {"Fn::Sub": "${AWS::Region}-x"}
    assert props["Z"] == {"Fn::ImportValue": "shared"}
    assert stack.region == "eu-west-1"
    assert stack.lines["A"] == 2


def test_cdk_out_reads_regions_and_nested_assemblies(tmp_path: Path) -> None:
    template = {"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}
    (tmp_path / "top.template.json").write_text(json.dumps(template))
    nested = tmp_path / "assembly-Prod"
    nested.mkdir()
    (nested / "inner.template.json").write_text(json.dumps(template))
    (nested / "manifest.json").write_text(
        json.dumps(
            {
                "artifacts": {
                    "inner": {
                        "type": "aws:cloudformation:stack",
                        "environment": "aws://unknown-account/unknown-region",
                        "properties": {"templateFile": "inner.template.json"},
                    }
                }
            }
        )
    )
    (tmp_path / "manifest.json").write_text(
        json.dumps(
            {
                "artifacts": {
                    "top": {
                        "type": "aws:cloudformation:stack",
                        "environment": "aws://111122223333/ap-southeast-2",
                        "properties": {"templateFile": "top.template.json", "stackName": "Top"},
                    },
                    "Prod": {
                        "type": "cdk:cloud-assembly",
                        "properties": {"directoryName": "assembly-Prod"},
                    },
                }
            }
        )
    )
    stacks, _ = load([tmp_path], {"inner": "eu-west-1"})
    assert [(s.name, s.region, s.account) for s in stacks] == [
        ("Top", "ap-southeast-2", "111122223333"),
        ("inner", "eu-west-1", None),  # environment-agnostic: --region fills it in
    ]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "not valid JSON"),
        ("Resources: [a, b", "not a valid YAML template"),
        ('{"Parameters": {}}', "no Resources section"),
    ],
)
def test_unreadable_input_names_the_file(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / ("bad.json" if content.startswith("{") else "bad.yaml")
    path.write_text(content)
    with pytest.raises(LintInputError, match=needle) as raised:
        load([path])
    assert str(path) in str(raised.value)


def test_missing_path_and_directory_without_manifest(tmp_path: Path) -> None:
    with pytest.raises(LintInputError, match="no such file"):
        load([tmp_path / "nope.yaml"])
    with pytest.raises(LintInputError, match=r"no manifest\.json"):
        load([tmp_path])


def test_region_options_are_checked(tmp_path: Path) -> None:
    assert parse_region_options(["web=eu-west-1"]) == {"web": "eu-west-1"}
    with pytest.raises(LintInputError, match="STACK=REGION"):
        parse_region_options(["eu-west-1"])
    path = tmp_path / "web.template.json"
    path.write_text('{"Resources": {}}')
    with pytest.raises(LintInputError, match=r"unknown stack.*stacks: web"):
        load([path], {"api": "eu-west-1"})


def test_runbooks_are_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "failover.md"
    path.write_text("# runbook\n")
    stacks, runbooks = load([path])
    assert stacks == [] and runbooks[0].text == "# runbook\n"


def test_stack_name_strips_template_suffixes() -> None:
    assert stack_name(Path("web.template.json")) == "web"
    assert stack_name(Path("api.yml")) == "api"
