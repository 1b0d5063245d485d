"""`polyregion config check` on the app contract: exit 2 with the key and the fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "polyregion.cli", "config", "check", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ('[app]\nname = "notes"\ncommand = ["no-such-program-x"]\n', ["app.command", "PATH"]),
        ('[[tables]]\nname = "notes"\n', ["partition_key is not set"]),
        ('[[tables]]\nname = "n"\npartition_kye = "id"\n', ["did you mean partition_key"]),
        (
            '[drill.write]\npath = "/n"\nbody = "{}"\nread_back = "/n"\n',
            ["drill.write.read_back", "{id}"],
        ),
        ('[[regions]]\nname = "us-east-9"\nrole = "primary"\n', ["did you mean us-east-1"]),
    ],
)
def test_bad_contract_exits_2_naming_the_key(tmp_path: Path, text: str, needles: list[str]) -> None:
    f = tmp_path / "polyregion.toml"
    f.write_text(text, encoding="utf-8")
    out = check(f)
    assert out.returncode == 2, out
    for needle in needles:
        assert needle in out.stderr
    assert "Traceback" not in out.stderr


def test_an_apps_file_is_valid_and_an_old_one_warns(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("", encoding="utf-8")
    f = tmp_path / "polyregion.toml"
    f.write_text(
        '[app]\nname = "notes"\ncommand = ["python", "app.py"]\n'
        '[[tables]]\nname = "notes"\npartition_key = "id"\n',
        encoding="utf-8",
    )
    out = check(f)
    assert out.returncode == 0, out.stderr
    assert "tables: notes (global)" in out.stdout and "app: python app.py" in out.stdout
    f.write_text('[[data]]\nname = "posts"\nscope = "global"\n', encoding="utf-8")
    out = check(f)
    assert out.returncode == 0, out.stderr
    assert "[[data]] is deprecated" in out.stderr
