from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from polyregion.lint.engine import lint, lint_paths
from polyregion.lint.load import LintInputError
from polyregion.lint.model import Severity, Stack
from polyregion.lint.rules import Context, Hit, Rule

FAIL = Path(__file__).parent / "fixtures" / "DNS1" / "fail" / "dns.yaml"


def record(metadata: dict[str, object] | None = None) -> dict[str, object]:
    body: dict[str, object] = {
        "Type": "AWS::Route53::RecordSet",
        "Properties": {
            "Name": "origin.example.com.",
            "Type": "CNAME",
            "SetIdentifier": "eu",
            "Region": "eu-west-1",
            "ResourceRecords": ["eu.example.com"],
        },
    }
    if metadata is not None:
        body["Metadata"] = metadata
    return body


def one(body: dict[str, object], template_metadata: object = None) -> Stack:
    template: dict[str, object] = {"Resources": {"Rec": body}}
    if template_metadata is not None:
        template["Metadata"] = template_metadata
    return Stack("dns", Path("dns.json"), template, "eu-west-1")


def test_resource_suppression_with_a_reason_moves_the_finding_aside() -> None:
    entry = {"id": "DNS1", "reason": "Single-region record kept for a migration window."}
    result = lint([one(record({"polyregion_lint": {"rules_to_suppress": [entry]}}))])
    assert [f.rule for f in result.findings] == []
    assert result.suppressed[0].rule == "DNS1" and "migration" in result.suppressed[0].reason
    assert result.summary()["suppressed"] == 1


def test_cdk_nag_metadata_for_the_pack_is_honoured_and_other_packs_are_not() -> None:
    ours = {"id": "MultiRegion-DNS1", "reason": "Acknowledged in the CDK app already."}
    theirs = {"id": "AwsSolutions-DNS1", "reason": "Not our rule, not our business."}
    assert lint([one(record({"cdk_nag": {"rules_to_suppress": [ours]}}))]).findings == ()
    still = lint([one(record({"cdk_nag": {"rules_to_suppress": [theirs]}}))])
    assert [f.rule for f in still.findings] == ["DNS1"]


def test_template_level_suppression_covers_every_resource() -> None:
    entry = {"id": "DNS1", "reason": "This zone is a test zone, nobody resolves it."}
    result = lint([one(record(), {"polyregion_lint": {"rules_to_suppress": [entry]}})])
    assert result.findings == ()


def test_suppression_without_reason_suppresses_nothing_and_is_reported() -> None:
    entry = {"id": "DNS1", "reason": "ok"}
    result = lint([one(record({"polyregion_lint": {"rules_to_suppress": [entry]}}))])
    assert sorted(f.rule for f in result.findings) == ["DNS1", "SUPPRESS"]
    assert result.errors == 2


def test_ignore_skips_a_rule_and_counts_it() -> None:
    result = lint_paths([FAIL], regions={"dns": "us-east-1"}, ignore=["MultiRegion-DNS1"])
    assert result.findings == () and result.ignored == 1
    with pytest.raises(LintInputError, match="no such rule"):
        lint_paths([FAIL], ignore=["NOPE1"])


def test_unknown_types_are_noted_not_failed() -> None:
    s = Stack("x", Path("x.json"), {"Resources": {"C": {"Type": "Custom::Thing"}}}, "eu-west-1")
    result = lint([s])
    assert result.findings == () and result.summary()["skipped"] == 1
    assert "Custom::Thing" in result.summary()["notes"][0]


def test_a_crashing_rule_is_a_note_and_the_others_still_run() -> None:
    def broken(ctx: Context) -> Iterator[Hit]:
        raise KeyError("surprise")
        yield  # pragma: no cover

    boom = Rule("BOOM1", "edge", Severity.ERROR, "t", "f", "r", False, broken)
    from polyregion.lint.rules import all_rules

    result = lint([one(record())], rules=[boom, *all_rules()])
    assert [f.rule for f in result.findings] == ["DNS1"]
    assert any("BOOM1 failed" in n for n in result.summary()["notes"])
