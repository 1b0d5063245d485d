"""`polyregion cost` end to end: CliRunner for output, subprocesses for exit codes via main()."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from polyregion.cli import app

runner = CliRunner()


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "polyregion.cli", "cost", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_table_from_a_fresh_clone_defaults(tmp_path: Path) -> None:
    cfg = tmp_path / "polyregion.toml"
    cfg.write_text('[app]\nname = "shop"\n')
    result = runner.invoke(app, ["cost", "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    for text in ("Lambda requests", "Route 53 health checks", "total", "ratio multi/single"):
        assert text in result.output
    assert "one more region (ap-southeast-1)" in result.output


def test_json_with_traffic_flags_and_regions(tmp_path: Path) -> None:
    cfg = tmp_path / "polyregion.toml"
    cfg.write_text("[traffic]\nvisits_per_month = 10\n")
    base = runner.invoke(app, ["cost", "--config", str(cfg), "--json"])
    more = runner.invoke(
        app, ["cost", "--config", str(cfg), "--json", "--visits", "2000000", "--regions", "3"]
    )
    assert base.exit_code == 0 and more.exit_code == 0, more.output
    small, big = json.loads(base.stdout), json.loads(more.stdout)
    assert small["multi"]["regions"] == ["us-east-1", "eu-west-1"]
    assert big["multi"]["regions"] == ["us-east-1", "eu-west-1", "ap-southeast-1"]
    cf = {i["name"]: i["usd"] for i in big["single"]["items"]}["CloudFront requests"]
    assert cf == 40.0  # 2M visits x 20 requests x $0.01 / 10,000: the flag beat [traffic]
    assert big["marginal_region_usd"] > 0 and big["marginal_region"] == "us-west-2"


def test_explain_shows_formulas_and_sources() -> None:
    result = runner.invoke(app, ["cost", "--explain"])
    assert result.exit_code == 0, result.output
    assert "health probes" in result.output
    assert "https://aws.amazon.com/dynamodb/pricing/on-demand/" in result.output
    assert "checked 2026-11-26" in result.output


def test_bad_flag_exits_2_naming_it() -> None:
    out = run("--cache-hit-ratio", "1.5")
    assert out.returncode == 2
    assert "--cache-hit-ratio" in out.stderr and "Traceback" not in out.stderr


def test_bad_price_file_exits_2_naming_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text('[prices."lambda.requests"]\nusd = "free"\n')
    out = run("--prices", str(bad))
    assert out.returncode == 2
    assert "prices.lambda.requests.usd" in out.stderr and "Traceback" not in out.stderr


def test_bad_traffic_table_exits_2_naming_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "polyregion.toml"
    cfg.write_text("[traffic]\nssr_memory_mb = 64\n")
    out = run("--config", str(cfg), "--regions", "2")
    assert out.returncode == 2
    assert "traffic.ssr_memory_mb" in out.stderr and "Traceback" not in out.stderr
