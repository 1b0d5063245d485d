"""The Lambda asset: the `polyregion` package, its runtime dependencies built for ARM64, and the
topology file the function reads (`POLYREGION_CONFIG`).

`build_asset` is what `polyregion build` runs (pip needs PyPI); `stage_source_asset` is the
offline fallback `polyregion synth` uses when no build exists, so synth works from a fresh
clone: same handler and config, no third-party packages (deploy builds first).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polyregion
from polyregion.errors import PolyregionError
from polyregion.infra.fingerprint import fingerprint
from polyregion.topology.model import Topology

PLATFORM: Final = "manylinux2014_aarch64"
PYTHON_VERSION: Final = "3.14"  # must match regional.RUNTIME
PROVIDED_BY_LAMBDA: Final = frozenset({"boto3", "botocore", "s3transfer", "jmespath"})
# Core dependencies only the `polyregion` command uses; the Lambda handler never imports them.
CLI_ONLY: Final = frozenset({"typer", "rich"})
CONFIG_NAME: Final = "polyregion.toml"  # regional.ASSET_CONFIG
BUILD_MARKER: Final = ".polyregion-build"  # written last: a complete build and its fingerprint
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")
# The bundled blog (examples/blog) is the app this asset carries until `[app.lambda]` names the
# app's own code: copied by path, never imported (polyregion does not depend on its examples).
BLOG_PACKAGE: Final = Path(polyregion.__file__).resolve().parents[1] / "examples" / "blog" / "blog"


class BuildError(PolyregionError):
    """The Lambda asset could not be built (pip failed, no network to PyPI...)."""


Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]
# An app of your own's external commands (pip, npm, next): argv and working directory.
AppRunner = Callable[[Sequence[str], Path], "subprocess.CompletedProcess[str]"]


def _run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, check=False)


def runtime_requirements() -> list[str]:
    """The package's core dependencies (not extras), minus what the Lambda runtime provides
    and what only the CLI needs.
    From pyproject.toml in a source checkout (the installed metadata may be stale)."""
    pyproject = Path(polyregion.__file__).resolve().parents[1] / "pyproject.toml"
    if pyproject.is_file():
        deps = list(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"])
    else:
        deps = [d for d in importlib.metadata.requires("polyregion") or [] if "extra ==" not in d]
    out = []
    for dep in deps:
        name = re.split(r"[\s\[<>=!~;]", dep, maxsplit=1)[0].lower()
        if name not in PROVIDED_BY_LAMBDA | CLI_ONLY:
            out.append(dep)
    return out


def pip_command(target: Path, requirements: Sequence[str]) -> list[str]:
    return [
        # --no-compile: pip would write bytecode for *this* interpreter (cpython-311 pyc),
        # which Lambda's Python never loads: dead weight in the package.
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--no-compile",
        "--platform", PLATFORM, "--only-binary=:all:", "--implementation", "cp",
        "--python-version", PYTHON_VERSION, "--target", str(target), *requirements,
    ]  # fmt: skip


def _copy_package_and_config(topology: Topology, dest: Path) -> None:
    src = Path(polyregion.__file__).resolve().parent
    shutil.copytree(src, dest / "polyregion", ignore=_IGNORE, dirs_exist_ok=True)
    shutil.copytree(BLOG_PACKAGE, dest / "blog", ignore=_IGNORE, dirs_exist_ok=True)
    source = Path(topology.source)
    config = dest / CONFIG_NAME
    if source.is_file():
        shutil.copyfile(source, config)
    else:  # built-in defaults: an empty file loads as the defaults
        config.write_text("# built-in defaults (no polyregion.toml at synth time)\n")


def stage_source_asset(topology: Topology, dest: Path) -> Path:
    """Offline stand-in for the asset: our code and config only (see module docstring)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    _copy_package_and_config(topology, dest)
    return dest


def is_full_build(path: Path) -> bool:
    """A complete build (pip and all) of *some* code and topology: see `is_current_build`."""
    return (path / BUILD_MARKER).is_file()


def source_fingerprint(topology: Topology, requirements: Sequence[str] | None = None) -> str:
    """The fingerprint of what a build made now would contain: for an app of your own, its
    code directory (lockfiles and requirements.txt included), the local directories its
    requirements.txt installs from (`-e ../..`) and its [app.lambda] target."""
    if topology.app_command is not None:
        s = topology.app_lambda
        code = (topology.app_dir / s.code).resolve()
        from polyregion.infra.app_package import ALWAYS_EXCLUDED, local_sources

        local = local_sources(code / "requirements.txt") if s.language == "python" else []
        return fingerprint(
            topology,
            code=[code, *local],
            requirements=[],
            target=(s.runtime, s.architecture),
            exclude=[*ALWAYS_EXCLUDED, *s.exclude],
        )
    package_dir = Path(polyregion.__file__).resolve().parent
    reqs = runtime_requirements() if requirements is None else requirements
    return fingerprint(
        topology, code=[package_dir], requirements=reqs, target=(PLATFORM, PYTHON_VERSION)
    )


def _marker(path: Path) -> dict[str, object]:
    try:
        data = json.loads((path / BUILD_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def is_current_build(path: Path, topology: Topology) -> bool:
    """Built from exactly this code, topology and dependencies (not merely built once)."""
    recorded = _marker(path).get("fingerprint")
    return recorded is not None and recorded == source_fingerprint(topology)


@dataclass(frozen=True, slots=True)
class BuildReport:
    path: Path
    files: int
    bytes: int
    zipped_bytes: int
    requirements: tuple[str, ...]
    reused: bool = False  # nothing changed since the last build: nothing was rebuilt
    bytecode: str | None = None  # the interpreter that precompiled it; None: none found


def build_asset(
    topology: Topology,
    dest: Path,
    *,
    run: Runner = _run,
    force: bool = False,
    app_run: AppRunner | None = None,
) -> BuildReport:
    """pip-install the runtime deps for Lambda ARM64, add our package and config, measure.
    A build of the same fingerprint is reused (unless `force`). An app of your own is
    packaged per its runtime instead (app_package.py)."""
    own = topology.app_command is not None
    requirements = [] if own else runtime_requirements()
    key = source_fingerprint(topology, requirements)
    marker = _marker(dest)
    if not force and marker.get("fingerprint") == key:
        return BuildReport(
            path=dest,
            files=int(str(marker.get("files", 0))),
            bytes=int(str(marker.get("bytes", 0))),
            zipped_bytes=int(str(marker.get("zipped_bytes", 0))),
            requirements=tuple(requirements),
            reused=True,
        )
    try:
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
    except OSError as exc:
        raise BuildError(f"cannot write the asset to {dest}: {exc.strerror}; pick --out") from None
    if own:
        from polyregion.infra.app_package import package_app, run_command

        package_app(
            topology.app_lambda,
            app_dir=topology.app_dir,
            command=topology.app_command,
            dest=dest,
            run=app_run or run_command,
        )
        lam = topology.app_lambda
        return _finish(dest, key, [], lam.python_version if lam.language == "python" else None)
    result = run(pip_command(dest, requirements))
    if result.returncode != 0:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise BuildError(f"pip could not build the Lambda asset for {PLATFORM}: {last[0]}")
    _copy_package_and_config(topology, dest)
    return _finish(dest, key, requirements, PYTHON_VERSION)


def _finish(dest: Path, key: str, requirements: Sequence[str], python: str | None) -> BuildReport:
    compiled = precompile(dest, python) if python else None
    report = measure(dest, requirements)
    report = dataclasses.replace(report, bytecode=compiled)
    record = {
        "fingerprint": key,
        "files": report.files,
        "bytes": report.bytes,
        "zipped_bytes": report.zipped_bytes,
        "requirements": list(requirements),
    }
    (dest / BUILD_MARKER).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return report


def precompile(dest: Path, version: str, *, run: Runner = _run) -> str | None:
    """Bytecode for the *runtime's* Python, when that interpreter is on PATH.

    Lambda's code directory is read-only: without `.pyc` files of its own version, every cold
    start compiles every module it imports (the largest part of a cold start measured in
    bench/cold_start.py). The interpreter building the asset is usually another version,
    whose bytecode Lambda ignores, so only a `python<version>` found on PATH can do this.
    `unchecked-hash` pyc files are valid whatever the zip's timestamps.
    """
    python = shutil.which(f"python{version}")
    if python is None:
        return None
    argv = [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"]
    result = run([*argv, str(dest)])
    # A shim that is not a working interpreter (pyenv without that version selected), or a
    # file it cannot compile: the asset still works, it just compiles at cold start.
    return python if result.returncode == 0 else None


def measure(path: Path, requirements: Sequence[str] = ()) -> BuildReport:
    files = [p for p in path.rglob("*") if p.is_file()]
    zipped = path.with_suffix(".zip")
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(files):
            zf.write(f, f.relative_to(path))
    size = zipped.stat().st_size
    zipped.unlink()
    return BuildReport(
        path=path,
        files=len(files),
        bytes=sum(f.stat().st_size for f in files),
        zipped_bytes=size,
        requirements=tuple(requirements),
    )


def stage_static(dest: Path) -> Path:
    """The app's static files laid out as the app links them: <content hash>/<file>, so the
    S3 key `static/<hash>/app.css` is the URL path CloudFront forwards."""
    static = BLOG_PACKAGE / "static"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(static, dest / asset_version(static), ignore=_IGNORE)
    return dest


def asset_version(static: Path) -> str:
    """The content hash the blog puts in its static URLs (examples/blog/blog/web.py)."""
    h = hashlib.sha256()
    for f in sorted(static.iterdir()):
        h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()[:12]
