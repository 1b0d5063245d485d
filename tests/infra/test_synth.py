from __future__ import annotations

import json
from pathlib import Path


def test_synth_errors_name_each_unacknowledged_finding(tmp_path: Path) -> None:
    from polyregion.infra.synth import validation_findings

    assert validation_findings(tmp_path) == []
    (tmp_path / "validation-report.json").write_text(
        json.dumps(
            {
                "pluginReports": [
                    {
                        "violations": [
                            {"ruleName": "AwsSolutions-S1"},
                            {"ruleName": "AwsSolutions-L1"},
                        ]
                    }
                ]
            }
        )
    )
    assert validation_findings(tmp_path) == ["AwsSolutions-S1", "AwsSolutions-L1"]
