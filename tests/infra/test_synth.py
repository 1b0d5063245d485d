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


def test_a_bad_out_directory_fails_before_the_cdk_starts(tmp_path: Path) -> None:
    import pytest

    from polyregion.infra.synth import SynthError, synthesize
    from polyregion.topology import from_dict

    a_file = tmp_path / "cdk.out"
    a_file.write_text("not a directory")
    with pytest.raises(SynthError, match="is a file"):
        synthesize(from_dict({}), out=a_file, work=tmp_path / "work")
    with pytest.raises(SynthError, match="cannot be created"):
        synthesize(from_dict({}), out=a_file / "below", work=tmp_path / "work")
