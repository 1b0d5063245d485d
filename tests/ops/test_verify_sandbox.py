"""`polyregion verify` fails, naming the rule and the fix, on an app that breaks the contract:
its health path always says 200 and it ignores the origin-verify header (the same app keeping
the contract passes: test_drills_sandbox.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ops.apps.topology import notes_sandbox

pytestmark = pytest.mark.functional


def test_verify_fails_and_names_the_broken_rules(tmp_path: Path) -> None:
    with notes_sandbox(tmp_path, "--always-healthy", "--open-origin") as sb:
        out = sb.cli("verify", "--json", timeout=180)
        doc = json.loads(out.stdout)
        results = {r["rule"]: r["result"] for r in doc["rules"]}
        assert out.returncode == 1, (results, out.stderr[-2000:])
        assert results["health-degraded-down"] == "fail"
        assert results["health-degraded-slow"] == "fail"
        assert results["origin-verify"] == "fail"
        # what the broken app does right still passes
        assert results["health"] == results["replication"] == results["cross-region-read"] == "pass"
        fixes = {r["rule"]: r["fix"] for r in doc["rules"] if r["result"] == "fail"}
        assert "503" in fixes["health-degraded-down"] and "403" in fixes["origin-verify"]
        text = sb.cli("verify", timeout=180)
        assert text.returncode == 1
        assert "fix origin-verify:" in text.stdout and "FAIL" in text.stdout
        assert "origin-verify" in text.stderr  # the error line names the failed rules
