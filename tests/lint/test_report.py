from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from polyregion.lint import LintResult, lint_paths
from polyregion.lint.report import as_json, print_human, sarif
from polyregion.lint.rules import all_rules

FIXTURES = Path(__file__).parent / "fixtures"
KEYS = ["rule", "severity", "stack", "template", "resource", "message", "fix", "reference"]


def failing() -> LintResult:
    folder = FIXTURES / "EDGE1" / "fail"
    regions = json.loads((folder / "regions.json").read_text())
    return lint_paths(sorted(folder.glob("*.yaml")), regions=regions)


def test_json_has_exactly_the_documented_shape() -> None:
    data = as_json(failing())
    assert set(data) == {"findings", "summary"}
    first = data["findings"][0]
    assert list(first) == KEYS
    assert first["rule"] == "EDGE1" and first["severity"] == "error"
    assert first["resource"] == "Site" and first["stack"] in ("web-us", "web-eu")
    assert first["reference"].startswith("https://docs.aws.amazon.com/")
    assert data["summary"]["errors"] == 2 and data["summary"]["stacks"] == 2
    json.dumps(data)  # serializable as is


def test_sarif_is_2_1_0_with_rules_and_locations() -> None:
    doc = sarif(failing())
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert ids == [r.id for r in all_rules()]
    result = run["results"][0]
    assert result["ruleId"] == "EDGE1" and result["level"] == "error"
    assert ids[result["ruleIndex"]] == "EDGE1"
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"].endswith(".yaml")
    assert physical["region"]["startLine"] == 2
    assert result["locations"][0]["logicalLocations"][0]["name"] == "Site"


def test_human_output_groups_by_stack_with_fix_and_reference() -> None:
    out = io.StringIO()
    print_human(failing(), Console(file=out, width=200))
    text = out.getvalue()
    assert "web-us (us-east-1)" in text and "web-eu (eu-west-1)" in text
    assert "fix: Keep one distribution per hostname" in text
    assert "see: https://docs.aws.amazon.com/" in text
    assert "2 error(s), 0 warning(s) in 2 stack(s)" in text
