"""Every rule has a minimal failing and a minimal passing fixture (tests/lint/fixtures/<RULE>/):
the failing one yields that rule's finding, the passing one does not. Regions come from the
fixture's regions.json, exactly as `--region STACK=REGION` passes them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polyregion.lint import lint_paths
from polyregion.lint.rules import all_rules

FIXTURES = Path(__file__).parent / "fixtures"
RULE_IDS = [r.id for r in all_rules()]


def run(rule: str, kind: str) -> list[str]:
    folder = FIXTURES / rule / kind
    regions_file = folder / "regions.json"
    regions = json.loads(regions_file.read_text()) if regions_file.exists() else {}
    paths = sorted(p for p in folder.iterdir() if p.name != "regions.json")
    result = lint_paths(paths, regions=regions)
    return [f.rule for f in result.findings]


def test_every_rule_has_both_fixtures() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()) == sorted(RULE_IDS)
    for rule in RULE_IDS:
        assert (FIXTURES / rule / "fail").is_dir() and (FIXTURES / rule / "pass").is_dir()


@pytest.mark.parametrize("rule", RULE_IDS)
def test_failing_fixture_is_found(rule: str) -> None:
    assert rule in run(rule, "fail")


@pytest.mark.parametrize("rule", RULE_IDS)
def test_passing_fixture_is_clean(rule: str) -> None:
    found = run(rule, "pass")
    assert rule not in found
    assert "SUPPRESS" not in found


def test_docs_have_one_entry_per_rule_with_its_reference() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "lint-rules.md").read_text()
    for r in all_rules():
        heading = next(line for line in doc.splitlines() if line.startswith(f"### {r.id}"))
        section = doc.split(heading, 1)[1].split("\n### ", 1)[0]
        assert r.reference in section, r.id
        assert "**Fix.**" in section and "**What breaks.**" in section, r.id
        pack = "yes " if r.pack else ""
        row = f"| {r.id} | {r.area} | {r.severity} | {pack}| {r.title} |"
        assert row in doc, r.id


@pytest.mark.parametrize(("role", "found"), [("PRIMARY", ["DNS1"]), ("SECONDARY", [])])
def test_unchecked_failover_secondary_is_a_last_resort(role: str, found: list[str]) -> None:
    from polyregion.lint import lint
    from polyregion.lint.model import Stack

    record = {
        "Type": "AWS::Route53::RecordSet",
        "Properties": {
            "Name": "app.example.com.",
            "Type": "CNAME",
            "SetIdentifier": role.lower(),
            "Failover": role,
            "ResourceRecords": ["static.example.com"],
        },
    }
    stack = Stack("dns", Path("dns.json"), {"Resources": {"Rec": record}}, "us-east-1")
    assert [f.rule for f in lint([stack]).findings] == found
