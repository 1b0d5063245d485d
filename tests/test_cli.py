from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer

from polyregion import cli


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "polyregion.cli", *args], capture_output=True, text=True, check=False
    )


def test_help_lists_commands() -> None:
    out = run("--help")
    assert out.returncode == 0
    assert "config" in out.stdout


def test_config_check_reports_bad_key_with_exit_2_and_no_traceback(tmp_path: Path) -> None:
    f = tmp_path / "polyregion.toml"
    f.write_text("[health]\ninterval_s = 15\n")
    out = run("config", "check", str(f))
    assert out.returncode == 2
    assert "health.interval_s" in out.stderr
    assert "10 or 30" in out.stderr
    assert "Traceback" not in out.stderr


def test_config_check_accepts_defaults(tmp_path: Path) -> None:
    f = tmp_path / "polyregion.toml"
    f.write_text('[app]\nname = "shop"\n')
    out = run("config", "check", str(f))
    assert out.returncode == 0, out.stderr
    assert "valid" in out.stdout


def test_typer_exit_codes_reach_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    @cli.app.command("exit-probe", hidden=True)
    def _probe() -> None:
        raise typer.Exit(3)

    monkeypatch.setattr(sys, "argv", ["polyregion", "exit-probe"])
    try:
        with pytest.raises(SystemExit) as info:
            cli.main()
        assert info.value.code == 3
    finally:
        cli.app.registered_commands = [
            c for c in cli.app.registered_commands if c.name != "exit-probe"
        ]


def test_config_check_of_an_unreadable_file_is_one_line_exit_2(tmp_path: Path) -> None:
    f = tmp_path / "polyregion.toml"
    f.write_bytes(b"\xff\xfe not text")
    out = run("config", "check", str(f))
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "not UTF-8" in out.stderr
    out = run("config", "check", str(tmp_path))
    assert out.returncode == 2 and "a directory" in out.stderr and "Traceback" not in out.stderr


def _commands() -> list[tuple[str, str]]:
    import typer

    from polyregion.cli import app

    found: list[tuple[str, str]] = []

    def walk(cmd: object, path: str) -> None:
        for name, sub in getattr(cmd, "commands", {}).items():
            found.append((f"{path} {name}".strip(), sub.help or ""))
            walk(sub, f"{path} {name}")

    walk(typer.main.get_command(app), "")
    return found


@pytest.mark.parametrize(("name", "text"), _commands())
def test_every_command_has_a_short_one_line_summary(name: str, text: str) -> None:
    import inspect

    summary = inspect.cleandoc(text).split("\n\n")[0]
    assert summary, f"{name} has no help"
    # The command list shows this paragraph: one sentence that fits a terminal line.
    assert "\n" not in summary and len(summary) <= 90, f"{name}: {summary!r}"
