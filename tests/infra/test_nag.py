from __future__ import annotations

import json

import pytest

from tests.infra.conftest import Synth

pytestmark = pytest.mark.infra


def _acknowledgments(s: Synth) -> list[tuple[str, str, str]]:
    """(construct path, rule, reason) of every acknowledgment recorded in the assembly."""
    out = []
    for stack in s.templates:
        metadata = json.loads((s.out / f"{stack}.metadata.json").read_text())
        for path, entries in metadata.items():
            for entry in entries:
                if entry["type"] == "aws:cdk:acknowledged-rules":
                    out += [
                        (path, rule.removeprefix("Annotation::"), reason)
                        for rule, reason in entry["data"].items()
                    ]
    return out


def test_synth_passes_aws_solutions_checks_with_reasoned_acknowledgments(two: Synth) -> None:
    # The fixture's synth ran cdk-nag (it fails synthesis on any unacknowledged finding).
    acks = _acknowledgments(two)
    assert acks
    for path, rule, reason in acks:
        assert rule.startswith("AwsSolutions-"), rule
        assert len(reason) >= 60, f"{path} {rule}: say why"
        if rule.startswith("AwsSolutions-IAM5"):
            assert "[" in rule, f"{path}: IAM5 must name each wildcard, not the whole rule"
    # Nothing on the app's own data: tables and the distribution's TLS need no exemption.
    assert not [a for a in acks if "/GlobalTable" in a[0] or "Certificate" in a[0]]


def test_an_unacknowledged_finding_fails_synthesis(tmp_path: pytest.TempPathFactory) -> None:
    import aws_cdk as cdk
    from aws_cdk import aws_s3 as s3
    from cdk_nag import AwsSolutionsChecks

    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "careless", env=cdk.Environment(region="eu-west-1"))
    s3.Bucket(stack, "NoLogsNoTls")
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
