"""`polyregion init`: a commented `polyregion.toml` guessed from an existing project.

Looks at what a project declares (pyproject.toml / requirements*.txt for FastAPI, Starlette,
Flask or Django; package.json for Next.js or Express) and where its app object lives, then
writes a topology whose every guess is marked, with what is left to fill in. It reads files
only: nothing is imported or run.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from polyregion.errors import ConfigError
from polyregion.topology.resources import NAME

FILE: Final = "polyregion.toml"
PYTHON_FRAMEWORKS: Final = ("fastapi", "starlette", "flask", "django")  # first found wins
NODE_FRAMEWORKS: Final = ("next", "express")
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
# Where a Python app object usually lives, and how it is usually named.
_ENTRY_FILES: Final = ("main.py", "app.py", "server.py", "asgi.py", "wsgi.py", "app/main.py")
_APP_OBJECT = {
    "fastapi": re.compile(r"^(\w+)\s*=\s*FastAPI\(", re.M),
    "starlette": re.compile(r"^(\w+)\s*=\s*Starlette\(", re.M),
    "flask": re.compile(r"^(\w+)\s*=\s*Flask\(", re.M),
}
# A route path with "health" in it, as a string literal of the entry file ("/api/health",
# "/healthz"); liveness-only paths ("/live") are not what Route 53 should check.
_HEALTH_LITERAL = re.compile(r"""["'](/[A-Za-z0-9_/.-]*health[A-Za-z0-9_.-]*)["']""")
# The contract gives HOST and PORT; servers that take flags get them through `sh -c`.
_LISTEN = '--host "$HOST" --port "$PORT"'
# Without a write, drills measure availability only: say what makes them count lost writes.
_DRILL_TODO: Final = (
    "[drill.write]: uncomment it and point it at a write your app accepts without a session, "
    "with a read-back of this region's own copy, so drills count lost writes"
)


@dataclass(frozen=True, slots=True)
class Guess:
    name: str
    framework: str  # one of PYTHON_FRAMEWORKS / NODE_FRAMEWORKS, or "unknown"
    evidence: str  # what the guess rests on, for the file's comments and the summary
    command: tuple[str, ...]
    health_path: str
    todo: tuple[str, ...]  # what the user still has to do


def guess(directory: Path) -> Guess:
    """What the project in `directory` looks like."""
    python = _python_dependencies(directory)
    for framework in PYTHON_FRAMEWORKS:
        if framework in python:
            return _python(directory, framework, python[framework])
    node = _node_dependencies(directory)
    for framework in NODE_FRAMEWORKS:
        if framework in node:
            return _node(directory, framework)
    return Guess(
        name=_name(directory, None),
        framework="unknown",
        evidence="no pyproject.toml, requirements*.txt or package.json naming a framework",
        command=("python", "app.py"),
        health_path="/health",
        todo=(
            "[app] command: how to start your server; it must listen on $HOST:$PORT",
            "[health] path: a deep health endpoint (200 healthy, 503 degraded, within 2 s)",
            "[[tables]] / [[buckets]]: what your app stores (commented examples below)",
            _DRILL_TODO,
        ),
    )


def _python(directory: Path, framework: str, evidence: str) -> Guess:
    health, where = _health_path(directory)
    todo = [
        f"[health] path: {health} was found in {where}; check that it is deep (200 healthy, "
        "503 degraded, within 2 s)"
        if where
        else "[health] path: add a deep health endpoint (200 healthy, 503 degraded, within "
        "2 s); polyregion.kit has one for Starlette/FastAPI and Flask",
        "[[tables]] / [[buckets]]: what your app stores; read their names from "
        "$POLYREGION_TABLE_<NAME> / $POLYREGION_BUCKET_<NAME>",
        _DRILL_TODO,
    ]
    if framework == "django":
        command: tuple[str, ...] = (
            "sh",
            "-c",
            'exec python manage.py runserver "$HOST:$PORT" --noreload',
        )
        if not (directory / "manage.py").is_file():
            todo.insert(0, "[app] command: manage.py was not found; point the command at it")
        todo.append("Django: add $HOST to ALLOWED_HOSTS (or the origin hostname) in settings")
    else:
        target = _app_target(directory, framework)
        if target is None:
            target = "main:app"
            todo.insert(0, f"[app] command: no {framework} app object found; fix '{target}'")
        if framework == "flask":
            server = f"exec python -m flask --app {target} run {_LISTEN}"
        else:
            server = f"exec python -m uvicorn {target} {_LISTEN}"
        command = ("sh", "-c", server)
    return Guess(
        name=_name(directory, _pyproject(directory).get("project", {}).get("name")),
        framework=framework,
        evidence=evidence,
        command=command,
        health_path=health,
        todo=tuple(todo),
    )


def _health_path(directory: Path) -> tuple[str, str | None]:
    """The first health-looking route literal of the entry files, and the file it is in;
    ("/health", None) when there is none."""
    for rel in _ENTRY_FILES:
        path = directory / rel
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in _HEALTH_LITERAL.finditer(text):
            if not match.group(1).rstrip("/").endswith("/live"):
                return match.group(1), rel
    return "/health", None


def _node(directory: Path, framework: str) -> Guess:
    package = _package_json(directory)
    todo = [
        "[health] path: add a deep health route (200 healthy, 503 degraded, within 2 s)",
        "[[tables]] / [[buckets]]: what your app stores; read their names from "
        "process.env.POLYREGION_TABLE_<NAME> / POLYREGION_BUCKET_<NAME>",
        _DRILL_TODO,
    ]
    if framework == "next":
        # Next's standalone server reads HOSTNAME and PORT.
        command: tuple[str, ...] = (
            "sh",
            "-c",
            'HOSTNAME="$HOST" exec node .next/standalone/server.js',
        )
        todo.insert(0, 'build first: set output: "standalone" in next.config, then `next build`')
        health = "/api/health"
    else:
        main = str(package.get("main") or "server.js")
        command = ("node", main)
        todo.insert(0, f"[app] command: {main} must listen on process.env.HOST / PORT")
        health = "/health"
    return Guess(
        name=_name(directory, package.get("name")),
        framework=framework,
        evidence=f"package.json depends on {framework}",
        command=command,
        health_path=health,
        todo=tuple(todo),
    )


def _app_target(directory: Path, framework: str) -> str | None:
    """`module:object` of the first entry file that creates the framework's app."""
    pattern = _APP_OBJECT[framework]
    for rel in _ENTRY_FILES:
        path = directory / rel
        if not path.is_file():
            continue
        match = pattern.search(path.read_text(encoding="utf-8", errors="replace"))
        if match:
            return f"{rel.removesuffix('.py').replace('/', '.')}:{match.group(1)}"
    return None


# -- what the project declares -------------------------------------------------------------------
def _pyproject(directory: Path) -> dict[str, Any]:
    path = directory / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


def _python_dependencies(directory: Path) -> dict[str, str]:
    """Normalised distribution name -> where it was declared."""
    found: dict[str, str] = {}
    data = _pyproject(directory)
    project = data.get("project", {})
    declared = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        declared += list(extra)
    declared += list(data.get("tool", {}).get("poetry", {}).get("dependencies", {}))
    for spec in declared:
        if m := _REQUIREMENT.match(str(spec)):
            found.setdefault(m.group(1).lower().replace("_", "-"), "pyproject.toml lists it")
    for req in sorted(directory.glob("requirements*.txt")):
        for line in req.read_text(encoding="utf-8", errors="replace").splitlines():
            if m := _REQUIREMENT.match(line):
                found.setdefault(m.group(1).lower().replace("_", "-"), f"{req.name} lists it")
    return {k: f"{k}: {v}" for k, v in found.items()}


def _package_json(directory: Path) -> dict[str, Any]:
    path = directory / "package.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _node_dependencies(directory: Path) -> set[str]:
    package = _package_json(directory)
    out: set[str] = set()
    for key in ("dependencies", "devDependencies"):
        deps = package.get(key)
        if isinstance(deps, dict):
            out |= set(deps)
    return out


def _name(directory: Path, declared: object) -> str:
    """A valid app.name from the project's name or its directory."""
    raw = str(declared) if isinstance(declared, str) and declared else directory.resolve().name
    name = re.sub(r"[^a-z0-9-]+", "-", raw.lower().split("/")[-1]).strip("-")[:40].strip("-")
    if not name[:1].isalpha():
        name = f"app-{name}".strip("-")
    return name if NAME.match(name) else "my-app"


# -- writing the file ---------------------------------------------------------------------------
def render(g: Guess) -> str:
    command = json.dumps(list(g.command))
    todo = "\n".join(f"#   - {t}" for t in g.todo)
    return f'''# polyregion topology for "{g.name}", written by `polyregion init`.
# Guessed: {g.framework} ({g.evidence}). Still to fill in:
{todo}
# Every key: docs/topology.md; the app contract: docs/your-app.md.
# Check it with `polyregion config check`, run it with `polyregion up --config {FILE}`.

[app]
name = "{g.name}"            # prefixes tables, buckets and secrets (3-40 of a-z 0-9 -)
# Run once per region from this directory; it must listen on $HOST:$PORT.
command = {command}

[health]
path = "{g.health_path}"     # GUESS: your deep health endpoint (200 healthy / 503 degraded)

[[regions]]
name = "us-east-1"
role = "primary"

[[regions]]
name = "eu-west-1"

# What your app stores. Each table is <app.name>-<name>, in $POLYREGION_TABLE_<NAME>.
# [[tables]]
# name = "items"
# scope = "global"           # replicated to every region; "regional" never leaves it
# partition_key = "id"       # a string attribute; optional sort_key, indexes, ttl_attribute
#
# [[buckets]]                # <app.name>-<name>-<region>, in $POLYREGION_BUCKET_<NAME>
# name = "uploads"

[drill]
read_paths = ["/"]           # what failover drills read from every location
# [drill.write]              # optional: lets drills count lost writes
# method = "POST"
# path = "/api/items"
# body = '{{"id": "{{id}}", "text": "drill"}}'
# content_type = "application/json"
# read_back = "/api/items/{{id}}"
'''


def write(directory: Path, *, force: bool = False) -> tuple[Path, Guess]:
    """Write `directory/polyregion.toml`; a ConfigError if it exists and not `force`."""
    if not directory.is_dir():
        raise ConfigError("directory", str(directory), "an existing project directory")
    path = directory / FILE
    if path.exists() and not force:
        raise ConfigError(
            FILE, str(path), "already exists; keep it, or pass --force to overwrite it"
        )
    g = guess(directory)
    path.write_text(render(g), encoding="utf-8")
    return path, g
