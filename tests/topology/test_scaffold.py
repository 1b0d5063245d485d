"""`polyregion init`: a commented topology guessed from the project, never overwritten."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from polyregion.topology import from_dict, scaffold


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("files", "framework", "in_command", "name"),
    [
        (
            {
                "pyproject.toml": (
                    '[project]\nname = "Notes_API"\ndependencies = ["fastapi>=0.110", "boto3"]\n'
                ),
                "app/main.py": "from fastapi import FastAPI\n\napi = FastAPI()\n",
            },
            "fastapi",
            "uvicorn app.main:api --host",
            "notes-api",
        ),
        (
            {
                "requirements.txt": "# web\nstarlette==0.37\nuvicorn\n",
                "app.py": "from starlette.applications import Starlette\napp = Starlette()\n",
            },
            "starlette",
            "uvicorn app:app",
            None,
        ),
        (
            {
                "requirements-prod.txt": "Flask[async]>=3\n",
                "server.py": "from flask import Flask\nserver = Flask(__name__)\n",
            },
            "flask",
            "flask --app server:server run --host",
            None,
        ),
        (
            {
                "pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.12"\nDjango = "^5"\n',
                "manage.py": "",
            },
            "django",
            'manage.py runserver "$HOST:$PORT"',
            None,
        ),
        (
            {"package.json": json.dumps({"name": "@acme/web", "dependencies": {"next": "15"}})},
            "next",
            "node .next/standalone/server.js",
            "web",
        ),
        (
            {
                "package.json": json.dumps(
                    {"name": "api", "main": "src/index.js", "dependencies": {"express": "4"}}
                )
            },
            "express",
            "src/index.js",
            "api",
        ),
    ],
)
def test_each_framework_is_guessed_and_the_file_is_valid(
    tmp_path: Path, files: dict[str, str], framework: str, in_command: str, name: str | None
) -> None:
    g = scaffold.guess(project(tmp_path, files))
    assert g.framework == framework
    assert in_command in " ".join(g.command)
    if name is not None:
        assert g.name == name
    assert any("[health] path" in t for t in g.todo)
    topo = from_dict(tomllib.loads(scaffold.render(g)))  # what init writes loads as is
    assert topo.app_command == g.command
    assert topo.name == g.name and topo.health.path == g.health_path


def test_a_missing_app_object_is_a_todo(tmp_path: Path) -> None:
    g = scaffold.guess(project(tmp_path, {"requirements.txt": "fastapi\n"}))
    assert g.framework == "fastapi"
    assert "main:app" in g.command[-1]
    assert g.todo[0].startswith("[app] command: no fastapi app object found")


def test_nothing_recognised_still_writes_a_file_to_fill_in(tmp_path: Path) -> None:
    g = scaffold.guess(tmp_path)
    assert g.framework == "unknown"
    from_dict(tomllib.loads(scaffold.render(g)))


def test_init_never_overwrites_without_force(tmp_path: Path) -> None:
    project(tmp_path, {"requirements.txt": "flask\n", "app.py": "app = Flask(__name__)\n"})

    def init(*flags: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "polyregion.cli", "init", str(tmp_path), *flags],
            capture_output=True,
            text=True,
            check=False,
        )

    first = init()
    assert first.returncode == 0, first.stderr
    assert "flask" in first.stdout and "fill in:" in first.stdout
    # The command as a shell would take it back (it was printed with its quotes lost).
    printed = next(x for x in first.stdout.splitlines() if x.startswith("command: "))
    argv = shlex.split(printed.removeprefix("command: "))
    assert len(argv) == 3 and argv[:2] == ["sh", "-c"], argv
    written = tmp_path / "polyregion.toml"
    written.write_text("# mine\n", encoding="utf-8")
    again = init()
    assert again.returncode == 2 and "--force" in again.stderr
    assert written.read_text(encoding="utf-8") == "# mine\n"
    forced = init("--force")
    assert forced.returncode == 0
    assert "flask --app app:app run" in written.read_text(encoding="utf-8")


def test_a_health_route_in_the_entry_file_is_the_guessed_health_path(tmp_path: Path) -> None:
    """The FastAPI example's way (docs/your-app.md walk-through): the route is a literal."""
    app = (
        "app = FastAPI()\n"
        'app.router.routes.append(kit.health_route(health, "/api/health"))\n'
        '@app.get("/api/health/live")\ndef live(): ...\n'
    )
    g = scaffold.guess(project(tmp_path, {"requirements.txt": "fastapi\n", "app.py": app}))
    assert g.health_path == "/api/health"
    assert g.todo[0].startswith("[health] path: /api/health was found in app.py")
    assert "GUESS" in scaffold.render(g)  # still marked as a guess to check


def test_without_a_health_route_the_health_path_is_a_todo(tmp_path: Path) -> None:
    live_only = 'app = Flask(__name__)\n@app.get("/health/live")\ndef live(): ...\n'
    g = scaffold.guess(project(tmp_path, {"requirements.txt": "flask\n", "app.py": live_only}))
    assert g.health_path == "/health"
    assert g.todo[0].startswith("[health] path: add a deep health endpoint")


def test_every_guess_asks_for_a_drill_write(tmp_path: Path) -> None:
    """Without one, a drill measures availability only (docs/your-app.md, Drills)."""
    for files in (
        {},
        {"requirements.txt": "fastapi\n"},
        {"package.json": '{"dependencies": {"next": "16"}}'},
    ):
        directory = tmp_path / str(len(list(tmp_path.iterdir())))
        directory.mkdir()
        g = scaffold.guess(project(directory, files))
        assert any(t.startswith("[drill.write]") for t in g.todo), g.todo
