from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from polyregion.infra import plan
from polyregion.topology import from_dict

TOPO = from_dict(
    {
        "app": {"name": "shop"},
        "regions": [
            {"name": "eu-west-1", "role": "primary"},
            {"name": "us-west-2"},
        ],
        "aws": {"hosted_zone_id": "Z0123456789EXAMPLE"},
    }
)


def _plan(tmp_path: Path) -> plan.Plan:
    return plan.deploy_plan(TOPO, app="python -m polyregion.infra", out=tmp_path, cdk=["cdk"])


def _stacks(step: plan.Step) -> list[str]:
    return [a for a in step.argv if a.startswith("shop-") and ":" not in a]


def test_deploy_order_breaks_the_cycles_without_cross_region_references(tmp_path: Path) -> None:
    steps = _plan(tmp_path).steps
    assert steps[0].argv[1] == "bootstrap"
    envs = [a for a in steps[0].argv if a.startswith("aws://")]
    # Exactly the forms the CDK CLI accepts: a 12-digit id or the literal unknown-account.
    assert envs == [
        "aws://unknown-account/eu-west-1",
        "aws://unknown-account/us-east-1",
        "aws://unknown-account/us-west-2",
    ]
    for env in envs:
        account = env.split("/")[2]
        assert account == "unknown-account" or re.fullmatch(r"\d{12}", account)
    assert _stacks(steps[1]) == ["shop-assets-eu-west-1", "shop-assets-us-west-2"]
    assert _stacks(steps[2]) == ["shop-data", "shop-secrets"]
    assert _stacks(steps[3]) == ["shop-regional-eu-west-1", "shop-regional-us-west-2"]
    assert _stacks(steps[4]) == ["shop-edge"]
    assert "--outputs-file" in steps[4].argv
    last = steps[5]
    assert _stacks(last) == ["shop-assets-eu-west-1", "shop-assets-us-west-2"]
    assert "shop-assets-us-west-2:Replication=enabled" in last.argv
    assert f"shop-assets-eu-west-1:DistributionId={plan.DISTRIBUTION_PLACEHOLDER}" in last.argv
    for step in steps[1:]:
        assert "--exclusively" in step.argv  # one step never drags other stacks along


def test_execute_reads_the_distribution_id_and_stops_on_failure(tmp_path: Path) -> None:
    ran: list[list[str]] = []

    def run(argv: Sequence[str]) -> int:
        ran.append(list(argv))
        if "--outputs-file" in argv:
            Path(argv[argv.index("--outputs-file") + 1]).write_text(
                json.dumps({"shop-edge": {"DistributionId": "E2ABCDEF123"}})
            )
        return 0

    plan.execute(_plan(tmp_path), out=tmp_path, echo=lambda _: None, run=run)
    assert len(ran) == 6
    assert "shop-assets-eu-west-1:DistributionId=E2ABCDEF123" in ran[-1]

    with pytest.raises(plan.DeployError, match="step 1"):
        plan.execute(_plan(tmp_path), out=tmp_path, echo=lambda _: None, run=lambda _: 3)


def test_destroy_is_the_reverse_and_says_what_is_retained(tmp_path: Path) -> None:
    p = plan.destroy_plan(TOPO, app="x", out=tmp_path, cdk=["cdk"])
    order = [_stacks(s)[0] for s in p.steps]
    assert order[0] == "shop-edge" and order[-1] == "shop-data"
    assert all("--force" in s.argv for s in p.steps)
    assert "retained" in p.notes[0]


def test_deploy_dry_run_prints_the_plan_and_touches_nothing(tmp_path: Path) -> None:
    config = tmp_path / "polyregion.toml"
    config.write_text('[app]\nname = "shop"\n')
    out = subprocess.run(
        [sys.executable, "-m", "polyregion.cli", "deploy", "-c", str(config), "--dry-run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "build the Lambda asset" in out.stdout
    assert "shop-edge" in out.stdout and "Replication=enabled" in out.stdout
    assert "aws.hosted_zone_id is not set" in out.stdout
    assert not (tmp_path / "cdk.out").exists()


def test_deploy_without_a_hosted_zone_is_refused_in_one_line(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "polyregion.cli", "deploy"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 2
    assert "aws.hosted_zone_id" in out.stderr and "Traceback" not in out.stderr


def test_cdk_app_entry_refuses_an_unbuilt_asset_in_one_line(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "polyregion.infra", "--asset", str(tmp_path / "nothing")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert out.returncode == 2
    assert "polyregion build" in out.stderr and "Traceback" not in out.stderr


def test_destroy_app_needs_no_build() -> None:
    assert "--asset" not in plan.app_command("python", None, None)
    assert "--asset build/lambda" in plan.app_command("python", None, Path("build/lambda"))


def test_bootstrap_uses_the_pinned_account_when_set(tmp_path: Path) -> None:
    pinned = from_dict({"app": {"name": "shop"}, "aws": {"account": "111122223333"}})
    steps = plan.deploy_plan(pinned, app="x", out=tmp_path, cdk=["cdk"]).steps
    assert "aws://111122223333/us-east-1" in steps[0].argv
