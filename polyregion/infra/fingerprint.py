"""What a Lambda asset was built from, as one hash: the code, the topology, the dependencies.

`deploy` used to skip the build whenever `build/lambda/.polyregion-build` existed, so a package
built for another topology (other regions, other table names) could ship and fail every health
check. The marker now holds this fingerprint, and a build counts as current only when the
fingerprint of what is on disk now matches it. Hashing reads every source file: cheap next to
pip (the polyregion package is ~1 MB), and it lets `build` with nothing changed return at once.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final

from polyregion.topology.model import Topology

# Files that never change what runs (caches, bytecode, editor droppings).
_SKIP_DIRS: Final = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"})
_SKIP_SUFFIXES: Final = (".pyc", ".pyo")


def _files(root: Path, exclude: Sequence[str] = ()) -> Iterable[Path]:
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix in _SKIP_SUFFIXES:
            continue
        parts = path.relative_to(root).parts
        if _SKIP_DIRS & set(parts):
            continue
        if any(fnmatch.fnmatch(part, pattern) for part in parts for pattern in exclude):
            continue
        yield path


def fingerprint(
    topology: Topology,
    *,
    code: Sequence[Path],
    requirements: Sequence[str],
    target: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> str:
    """sha256 over the code trees (paths and bytes), the topology file, the requirement
    specifiers and the build target (platform, Python version). `exclude`: glob patterns of
    path parts left out (what the package leaves out, including the build output itself)."""
    h = hashlib.sha256()
    for root in code:
        h.update(b"code\0" + root.name.encode() + b"\0")
        for path in _files(root, exclude):
            h.update(str(path.relative_to(root)).encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    source = Path(topology.source)
    h.update(b"topology\0" + (source.read_bytes() if source.is_file() else b"<defaults>"))
    for req in requirements:
        h.update(b"req\0" + req.encode())
    for part in target:
        h.update(b"target\0" + part.encode())
    return h.hexdigest()
