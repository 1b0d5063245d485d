from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from polyregion.infra import app_package
from polyregion.infra.app_package import PackageError, package_app
from polyregion.topology.lambda_settings import parse_lambda

Calls = list[tuple[list[str], Path]]


def recorder(calls: Calls, effect: dict[str, object] | None = None) -> app_package.Runner:
    def run(argv: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        calls.append((list(argv), cwd))
        if "next" in argv and "build" in argv:
            (cwd / ".next" / "standalone").mkdir(parents=True)
            (cwd / ".next" / "standalone" / "server.js").write_text("// server\n")
            (cwd / ".next" / "static" / "chunks").mkdir(parents=True)
            (cwd / ".next" / "static" / "chunks" / "a.js").write_text("//\n")
        return subprocess.CompletedProcess(argv, 0, "", "")

    return run


def test_python_app_behind_the_web_adapter(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "tests").mkdir(parents=True)
    (app / "__pycache__").mkdir()
    (app / "app.py").write_text("print('hi')\n")
    (app / "requirements.txt").write_text("fastapi\n")
    (app / "tests" / "test_x.py").write_text("")
    calls: Calls = []
    settings = parse_lambda(
        {"runtime": "python3.13", "exclude": ["tests"], "architecture": "x86_64"}
    )
    pkg = package_app(
        settings,
        app_dir=app,
        command=["python", "app.py"],
        dest=tmp_path / "out",
        run=recorder(calls),
    )
    assert (pkg.path / "app.py").is_file() and not (pkg.path / "tests").exists()
    assert not (pkg.path / "__pycache__").exists()
    ((argv, _),) = calls
    joined = " ".join(argv)
    assert "--platform manylinux2014_x86_64" in joined and "--python-version 3.13" in joined
    assert "--only-binary=:all:" in argv and f"--target {pkg.path}" in joined
    run_sh = pkg.path / "run.sh"
    assert run_sh.stat().st_mode & 0o111 and "exec python app.py" in run_sh.read_text()


def test_asgi_handler_apps_get_no_run_script(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("app = None\n")
    pkg = package_app(
        parse_lambda({"handler": "app:app"}), app_dir=tmp_path, command=None,
        dest=tmp_path.parent / "out-asgi", run=recorder([]),
    )  # fmt: skip
    assert not (pkg.path / "run.sh").exists()


def test_node_app_needs_a_lockfile_and_installs_production_deps(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "package.json").write_text(json.dumps({"dependencies": {"express": "^4"}}))
    (app / "server.js").write_text("//\n")
    settings = parse_lambda({"runtime": "nodejs22.x"})
    with pytest.raises(PackageError, match=r"package-lock\.json"):
        package_app(settings, app_dir=app, command=["node", "server.js"], dest=tmp_path / "o")
    (app / "package-lock.json").write_text("{}")
    calls: Calls = []
    pkg = package_app(
        settings,
        app_dir=app,
        command=["node", "server.js"],
        dest=tmp_path / "o",
        run=recorder(calls),
    )
    assert calls[0][0][:3] == ["npm", "ci", "--omit=dev"] and calls[0][1] == pkg.path
    assert pkg.kind == "node"


def test_nextjs_ships_the_standalone_server_and_its_static_files(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "public").mkdir(parents=True)
    (app / "public" / "logo.svg").write_text("<svg/>")
    (app / "package.json").write_text(json.dumps({"dependencies": {"next": "15"}}))
    (app / "package-lock.json").write_text("{}")
    calls: Calls = []
    pkg = package_app(
        parse_lambda({"runtime": "nodejs22.x"}), app_dir=app,
        command=["node", "server.js"], dest=tmp_path / "o", run=recorder(calls),
    )  # fmt: skip
    assert pkg.kind == "nextjs"
    assert [c[0][:2] for c in calls] == [["npm", "ci"], ["npx", "--no-install"]]
    assert (pkg.path / "server.js").is_file() and (pkg.path / "public" / "logo.svg").is_file()
    assert (pkg.path / ".next" / "static" / "chunks" / "a.js").is_file()
    assert [prefix for _, prefix in pkg.static_dirs] == ["_next/static", ""]


def test_a_package_over_250_mb_is_refused_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x\n")
    assert app_package.UNZIPPED_LIMIT == 250 * 2**20
    with pytest.raises(PackageError, match=r"over Lambda's 250 MB limit.*exclude"):
        package_app(
            parse_lambda({"handler": "app:app"}), app_dir=tmp_path, command=None,
            dest=tmp_path.parent / "big", run=recorder([]), limit=1,  # not a 250 MB file
        )  # fmt: skip


def test_a_failed_install_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("nope\n")

    def failing(argv: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(argv, 1, "", "ERROR: No matching distribution\n")

    with pytest.raises(PackageError, match="pip install failed: ERROR: No matching"):
        package_app(
            parse_lambda({"handler": "a:b"}), app_dir=tmp_path, command=None,
            dest=tmp_path.parent / "f", run=failing,
        )  # fmt: skip


def test_asgi_shim_wraps_the_declared_app_with_mangum(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("app = object()\n")
    pkg = package_app(
        parse_lambda({"handler": "main:app"}), app_dir=tmp_path, command=None,
        dest=tmp_path.parent / "shim", run=recorder([]),
    )  # fmt: skip
    shim = (pkg.path / f"{app_package.ASGI_SHIM}.py").read_text()
    assert "from main import app as _app" in shim and "Mangum(_app" in shim


def test_build_packages_an_app_of_your_own_and_keys_it_on_its_code(tmp_path: Path) -> None:
    from polyregion.infra import package
    from polyregion.topology import load

    (tmp_path / "main.py").write_text("app = object()\n")
    config = tmp_path / "polyregion.toml"
    config.write_text(
        '[app]\nname = "mine"\ncommand = "python main.py"\n[app.lambda]\nhandler = "main:app"\n'
    )
    dest = tmp_path / "build" / "lambda"
    report = package.build_asset(load(config), dest)
    assert (dest / "main.py").is_file() and (dest / f"{app_package.ASGI_SHIM}.py").is_file()
    assert not (dest / "polyregion").exists()  # the app's code, not polyregion's
    assert package.is_current_build(dest, load(config)) and not report.reused
    (tmp_path / "main.py").write_text("app = 'changed'\n")
    assert not package.is_current_build(dest, load(config))


def test_nextjs_run_script_starts_the_standalone_server_not_the_source_command(
    tmp_path: Path,
) -> None:
    """examples/nextjs-notes runs `sh run.sh` from its source tree: the generated run.sh of the
    same name execed itself forever, and the standalone tree has no .next/standalone inside."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "package.json").write_text(json.dumps({"dependencies": {"next": "16"}}))
    (app / "package-lock.json").write_text("{}")
    (app / "run.sh").write_text("exec node .next/standalone/server.js\n")
    pkg = package_app(
        parse_lambda({"runtime": "nodejs22.x"}), app_dir=app, command=["sh", "run.sh"],
        dest=tmp_path / "o", run=recorder([]),
    )  # fmt: skip
    script = (pkg.path / "run.sh").read_text()
    assert script.rstrip().endswith("exec node server.js")
    assert 'export HOSTNAME="$HOST"' in script and "sh run.sh" not in script


def test_a_run_sh_of_the_app_is_refused_rather_than_overwritten(tmp_path: Path) -> None:
    (tmp_path / "run.sh").write_text("exec python app.py\n")
    with pytest.raises(PackageError, match=r"run\.sh.*rename it"):
        package_app(
            parse_lambda(None), app_dir=tmp_path, command=["sh", "run.sh"],
            dest=tmp_path.parent / "collide", run=recorder([]),
        )  # fmt: skip
    # Excluded, it is not packaged, and the generated handler takes its place.
    pkg = package_app(
        parse_lambda({"exclude": ["run.sh"]}), app_dir=tmp_path, command=["python", "app.py"],
        dest=tmp_path.parent / "excluded", run=recorder([]),
    )  # fmt: skip
    assert "exec python app.py" in (pkg.path / "run.sh").read_text()


def test_local_requirements_are_built_into_wheels_not_installed_editable(tmp_path: Path) -> None:
    """`-e ../..` (examples/fastapi-notes) installed with --target left a .pth file pointing at
    the build machine's checkout: on Lambda the kit was not importable."""
    lib = tmp_path / "lib"
    lib.mkdir()
    app = tmp_path / "app"
    app.mkdir()
    (app / "app.py").write_text("")
    (app / "requirements.txt").write_text("fastapi>=0.110\n-e ../lib  # the kit\n")
    calls: Calls = []
    record = recorder(calls)

    def run(argv: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        if "wheel" in argv:
            wheel_dir = Path(argv[argv.index("--wheel-dir") + 1])
            (wheel_dir / "lib-1.0-py3-none-any.whl").write_bytes(b"PK")
        return record(argv, cwd)

    pkg = package_app(
        parse_lambda(None), app_dir=app, command=["python", "app.py"],
        dest=tmp_path / "out", run=run,
    )  # fmt: skip
    (wheel, _), (install, _) = calls
    assert wheel[wheel.index("wheel") :][:1] == ["wheel"] and "--no-deps" in wheel
    assert wheel[-1] == str(lib.resolve())
    requirements = Path(install[install.index("-r") + 1])
    lines = requirements.read_text().splitlines()
    assert lines[0] == "fastapi>=0.110"
    assert lines[1].endswith("lib-1.0-py3-none-any.whl") and "-e" not in lines[1]
    assert not requirements.is_relative_to(pkg.path)  # not shipped in the package


def test_requirements_without_local_paths_are_installed_as_they_are(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("fastapi\n-r other.txt\n")
    requirements = tmp_path / "requirements.txt"
    assert app_package.local_wheels(requirements, tmp_path / "o", recorder([])) == requirements


def test_a_change_in_a_local_requirement_makes_the_build_stale(tmp_path: Path) -> None:
    """examples/fastapi-notes installs the kit from `-e ../..`: a build keyed on the app's own
    directory alone stayed "current" after the kit changed, and deploy shipped the old kit."""
    from polyregion.infra import package
    from polyregion.topology import load

    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "kit.py").write_text("VERSION = 1\n")
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.py").write_text("app = object()\n")
    (app / "requirements.txt").write_text("-e ../lib\n")
    (app / "polyregion.toml").write_text(
        '[app]\nname = "mine"\ncommand = "python main.py"\n[app.lambda]\nhandler = "main:app"\n'
    )

    def run(argv: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        if "wheel" in argv:
            wheel_dir = Path(argv[argv.index("--wheel-dir") + 1])
            (wheel_dir / "lib-1.0-py3-none-any.whl").write_bytes(b"PK")
        return subprocess.CompletedProcess(argv, 0, "", "")

    dest = tmp_path / "build" / "lambda"
    package.build_asset(load(app / "polyregion.toml"), dest, app_run=run)
    assert package.is_current_build(dest, load(app / "polyregion.toml"))
    (tmp_path / "lib" / "kit.py").write_text("VERSION = 2\n")
    assert not package.is_current_build(dest, load(app / "polyregion.toml"))
