"""`polyregion build` for an app of your own: its `[app.lambda] code` directory, packaged for
the Lambda runtime it declares, and checked against Lambda's 250 MB unzipped limit.

- Python: the code, plus `requirements.txt` installed for the function's architecture and
  Python version from wheels only (`pip --platform manylinux2014_<arch> --only-binary=:all:`);
- Node.js: the code, then `npm ci --omit=dev` from its committed lockfile;
- Next.js (`next` in package.json): `npm ci` and `next build` in a staging copy, then the
  standalone server (`.next/standalone`, which needs `output: "standalone"` in next.config) is
  the package, with `.next/static` copied in beside it and `public` kept for the assets bucket;
- behind the Lambda Web Adapter (no `handler`), a generated `run.sh` execs `[app] command`.

Every external command goes through an injected runner, so tests need neither PyPI nor npm.
"""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from polyregion.errors import PolyregionError
from polyregion.infra import web_adapter
from polyregion.topology.lambda_settings import LambdaSettings

UNZIPPED_LIMIT: Final = 250 * 1024 * 1024  # Lambda: function + layers, unzipped
# Never packaged: VCS, caches, local environments, our own outputs.
ALWAYS_EXCLUDED: Final = (
    ".git", "__pycache__", "*.pyc", ".venv", "venv", ".mypy_cache", ".pytest_cache",
    ".ruff_cache", "node_modules", "cdk.out", "build", ".polyregion", ".next",
)  # fmt: skip
PLATFORMS: Final = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}


class PackageError(PolyregionError):
    """The app could not be packaged (a failed install, a package over Lambda's limit...)."""


Runner = Callable[[Sequence[str], Path], "subprocess.CompletedProcess[str]"]


def _run(argv: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, check=False)


@dataclass(frozen=True, slots=True)
class AppPackage:
    path: Path  # the directory Lambda's code asset is made from
    kind: str  # "python", "node" or "nextjs"
    bytes: int
    static_dirs: tuple[tuple[Path, str], ...] = ()  # (directory, URL prefix) for the bucket


def _ignore(patterns: Sequence[str]) -> Callable[[str, list[str]], set[str]]:
    def ignore(directory: str, names: list[str]) -> set[str]:
        return {n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)}

    return ignore


def _check(result: subprocess.CompletedProcess[str], what: str) -> None:
    if result.returncode != 0:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise PackageError(f"{what} failed: {last[0]}")


def size_of(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def pip_argv(settings: LambdaSettings, target: Path, requirements: Path) -> list[str]:
    return [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--no-compile", "--platform", PLATFORMS[settings.architecture],
        "--only-binary=:all:", "--implementation", "cp",
        "--python-version", settings.python_version, "--target", str(target),
        "-r", str(requirements),
    ]  # fmt: skip


def is_nextjs(code: Path) -> bool:
    manifest = code / "package.json"
    if not manifest.is_file():
        return False
    data = json.loads(manifest.read_text(encoding="utf-8"))
    deps = {**data.get("dependencies", {}), **data.get("devDependencies", {})}
    return "next" in deps


def package_app(
    settings: LambdaSettings,
    *,
    app_dir: Path,
    command: Sequence[str] | None,
    dest: Path,
    run: Runner = _run,
    limit: int = UNZIPPED_LIMIT,
) -> AppPackage:
    code = (app_dir / settings.code).resolve()
    if not code.is_dir():
        raise PackageError(f"app.lambda.code: {code} is not a directory")
    if settings.web_adapter and not command:
        raise PackageError(
            "the Lambda Web Adapter runs [app] command: set it, or set app.lambda.handler "
            "(module:app) for a Python ASGI app"
        )
    if dest.exists():
        shutil.rmtree(dest)
    static: tuple[tuple[Path, str], ...] = ()
    if settings.language == "node" and is_nextjs(code):
        kind = "nextjs"
        static = _nextjs(settings, code, dest, run)
    else:
        kind = settings.language
        shutil.copytree(code, dest, ignore=_ignore([*ALWAYS_EXCLUDED, *settings.exclude]))
        if kind == "python" and (code / "requirements.txt").is_file():
            _check(run(pip_argv(settings, dest, code / "requirements.txt"), dest), "pip install")
        if kind == "node":
            if not (code / "package-lock.json").is_file():
                raise PackageError(
                    f"{code}: no package-lock.json; commit one (npm install) so the build is "
                    "reproducible with npm ci"
                )
            _check(run(["npm", "ci", "--omit=dev", "--no-audit", "--no-fund"], dest), "npm ci")
    if settings.web_adapter:
        assert command is not None
        script = dest / web_adapter.HANDLER
        script.write_text(web_adapter.run_script(command), encoding="utf-8")
        script.chmod(0o755)
    total = size_of(dest)
    if total > limit:
        raise PackageError(
            f"the Lambda package is {total / 2**20:.0f} MB unzipped, over Lambda's 250 MB "
            "limit: add what the app does not need at run time to app.lambda.exclude"
        )
    return AppPackage(path=dest, kind=kind, bytes=total, static_dirs=static)


def _nextjs(
    settings: LambdaSettings, code: Path, dest: Path, run: Runner
) -> tuple[tuple[Path, str], ...]:
    """`next build` in a staging copy; the standalone server becomes the package."""
    stage = dest.with_name(dest.name + "-next")
    if stage.exists():
        shutil.rmtree(stage)
    shutil.copytree(code, stage, ignore=_ignore([*ALWAYS_EXCLUDED, *settings.exclude]))
    _check(run(["npm", "ci", "--no-audit", "--no-fund"], stage), "npm ci")
    _check(run(["npx", "--no-install", "next", "build"], stage), "next build")
    standalone = stage / ".next" / "standalone"
    if not standalone.is_dir():
        raise PackageError(
            'next build produced no .next/standalone: set output: "standalone" in next.config'
        )
    shutil.copytree(standalone, dest, symlinks=True)
    # The standalone server serves .next/static and public itself when they sit beside it;
    # CloudFront serves them from the assets bucket too (static_dirs).
    static: list[tuple[Path, str]] = []
    if (stage / ".next" / "static").is_dir():
        shutil.copytree(stage / ".next" / "static", dest / ".next" / "static")
        static.append((stage / ".next" / "static", "_next/static"))
    if (stage / "public").is_dir():
        shutil.copytree(stage / "public", dest / "public", dirs_exist_ok=True)
        static.append((stage / "public", ""))
    return tuple(static)
