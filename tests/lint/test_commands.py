"""`polyregion lint` through the real CLI: exit codes 0/1/2, --json, --sarif, --region."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "polyregion.cli", "lint", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


def test_clean_templates_exit_0() -> None:
    out = run(str(FIXTURES / "DNS1" / "pass" / "dns.yaml"), "--region", "dns=us-east-1")
    assert out.returncode == 0, out.stderr
    assert "0 error(s)" in out.stdout


def test_errors_exit_1_with_json_and_sarif(tmp_path: Path) -> None:
    folder = FIXTURES / "PLUMB1" / "fail"
    report = tmp_path / "lint.sarif"
    out = run(
        str(folder / "net.yaml"),
        str(folder / "app.yaml"),
        "--region",
        "net=eu-west-1",
        "--region",
        "app=us-east-1",
        "--json",
        "--sarif",
        str(report),
    )
    assert out.returncode == 1, out.stderr
    findings = json.loads(out.stdout)["findings"]
    assert [(f["rule"], f["stack"], f["resource"]) for f in findings] == [
        ("PLUMB1", "app", "Group")
    ]
    assert json.loads(report.read_text())["runs"][0]["results"][0]["ruleId"] == "PLUMB1"


def test_warnings_alone_exit_0() -> None:
    folder = FIXTURES / "DRILL2" / "fail"
    out = run(str(folder / "checks.yaml"), "--json")
    assert out.returncode == 0
    assert json.loads(out.stdout)["summary"]["warnings"] == 1


def test_unreadable_input_exits_2_naming_it_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("Resources: [oops")
    out = run(str(bad))
    assert out.returncode == 2
    assert "broken.yaml" in out.stderr and "Traceback" not in out.stderr
    out = run(str(FIXTURES / "DNS1" / "fail" / "dns.yaml"), "--region", "nope")
    assert out.returncode == 2 and "STACK=REGION" in out.stderr


def test_ignore_turns_errors_off() -> None:
    dns = str(FIXTURES / "DNS1" / "fail" / "dns.yaml")
    assert run(dns).returncode == 1
    assert run(dns, "--ignore", "DNS1").returncode == 0
