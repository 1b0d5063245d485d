"""The app contract's sections of `polyregion.toml`: `[app] command`, `[[tables]]`,
`[[buckets]]` and `[drill]`, plus the migration of the old `[[data]]` and `[buckets]` keys.

Kept apart from `load.py` (regions, locations, AWS limits) because these describe the app that
runs on the topology, not the topology itself. Every mistake is a ConfigError naming the key.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from polyregion.errors import ConfigError
from polyregion.topology import naming
from polyregion.topology.model import (
    BucketSpec,
    DrillSettings,
    DrillWrite,
    IndexSpec,
    Scope,
    TableSpec,
    Topology,
)

Fail = Callable[[str, object, str], ConfigError]

NAME: Final = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")  # app, region-free names
# DynamoDB: table/index names [a-zA-Z0-9_.-]{3,255}; the app name and a dash come first.
_TABLE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")
_INDEX = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
# S3: 3-63 of [a-z0-9-], no dots (TLS wildcard certificates do not match dotted names).
_BUCKET = re.compile(r"^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$")
S3_NAME_MAX: Final = 63
ACCOUNT_SUFFIX: Final = len("-123456789012")
_ATTRIBUTE_MAX: Final = 255
DRILL_METHODS: Final = ("POST", "PUT", "PATCH")
ID: Final = "{id}"

TABLE_KEYS: Final = (
    "name", "scope", "partition_key", "sort_key", "indexes", "ttl_attribute", "numeric_attributes",
)  # fmt: skip
INDEX_KEYS: Final = ("name", "partition_key", "sort_key")
BUCKET_KEYS: Final = ("name", "scope", "replicate_deletes", "replication_time_control")
DRILL_KEYS: Final = ("read_paths", "write")
DRILL_WRITE_KEYS: Final = ("method", "path", "body", "content_type", "read_back")

# The bundled blog: what a topology without [[tables]]/[[buckets]] (or [[data]]) describes.
BLOG_TABLE_SPEC: Final = TableSpec(
    name=naming.BLOG_TABLE,
    scope=Scope.GLOBAL,
    partition_key=naming.PARTITION_KEY,
    sort_key=naming.SORT_KEY,
    indexes=(
        IndexSpec(name="by-slug", partition_key="slug"),
        IndexSpec(name="by-kind", partition_key="kind", sort_key="created_at"),
    ),
    numeric_attributes=("created_at",),
)
# The blog's regional table expires its throttle rows (examples/blog/blog/data/attempts.py).
BLOG_TTL_ATTRIBUTE: Final = "expires_at"
AUDIT_TABLE_SPEC: Final = TableSpec(
    name=naming.AUDIT_TABLE,
    scope=Scope.REGIONAL,
    partition_key=naming.PARTITION_KEY,
    sort_key=naming.SORT_KEY,
    ttl_attribute=BLOG_TTL_ATTRIBUTE,
)
DEFAULT_TABLES: Final = (BLOG_TABLE_SPEC, AUDIT_TABLE_SPEC)
DEFAULT_BUCKETS: Final = (BucketSpec(name=naming.ASSETS_BUCKET),)

DATA_DEPRECATED: Final = (
    "[[data]] is deprecated: declare [[tables]] instead (docs/topology.md, 'Migrating'). "
    "Global data classes became table 'data' (pk/sk); each regional one a table of its name."
)
BUCKETS_DEPRECATED: Final = (
    "[buckets] (one table of settings) is deprecated: declare [[buckets]] entries instead, "
    'e.g. [[buckets]] name = "assets" with replicate_deletes / replication_time_control.'
)


def closest(name: str, known: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The known name most like `name`; on a tie the first in `known` (us-east-9 -> us-east-1,
    where difflib alone would pick the alphabetically last, us-east-2)."""
    best: tuple[float, str] | None = None
    for k in known:
        score = difflib.SequenceMatcher(None, name, k).ratio()
        if score >= cutoff and (best is None or score > best[0]):
            best = (score, k)
    return None if best is None else best[1]


def unknown(name: str, known: Iterable[str], what: str = "key") -> str:
    """'unknown key; did you mean X? known: ...' - the fix for a typo is usually one edit away."""
    known = list(known)
    close = closest(name, known)
    hint = f"did you mean {close}? " if close else ""
    return f"unknown {what}; {hint}known: {', '.join(known)}"


def _only(t: Mapping[str, Any], key: str, allowed: Sequence[str], fail: Fail) -> None:
    for k in t:
        if k not in allowed:
            raise fail(f"{key}.{k}", t[k], unknown(k, allowed))


def _optional(t: Mapping[str, Any], field: str, key: str, fail: Fail) -> str | None:
    value = t.get(field)
    return None if value is None else _required(t, field, key, fail)


def _required(t: Mapping[str, Any], field: str, key: str, fail: Fail) -> str:
    value = t.get(field)
    if not isinstance(value, str) or not value or len(value) > _ATTRIBUTE_MAX:
        raise fail(f"{key}.{field}", value, "a non-empty string (an attribute name)")
    return value


def _entries(raw: object, key: str, fail: Fail) -> list[Mapping[str, Any]]:
    if not isinstance(raw, list | tuple) or not all(isinstance(t, Mapping) for t in raw):
        raise fail(key, raw, f"must be an array of tables ([[{key}]])")
    return list(raw)


def _scope(value: object, key: str, fail: Fail) -> Scope:
    if isinstance(value, str) and value in Scope.__members__.values():
        return Scope(value)
    raise fail(key, value, 'must be "global" (replicated) or "regional" (never leaves)')


def _unique(names: Sequence[str], key: str, what: str, fail: Fail) -> None:
    """Names must differ, also once normalised to environment variable suffixes."""
    seen: dict[str, str] = {}
    for name in names:
        env = naming.env_key(name)
        if env in seen:
            clash = "declared twice" if seen[env] == name else f"clashes with {seen[env]!r}"
            raise fail(
                key,
                name,
                f"{what} names must differ: {name!r} {clash} (both are {env} in the app's "
                "environment); rename one",
            )
        seen[env] = name


# -- [app] command -----------------------------------------------------------------------------
def app_command(raw: object, fail: Fail) -> tuple[str, ...] | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        try:
            argv = shlex.split(raw)
        except ValueError as exc:
            raise fail("app.command", raw, f"cannot be split like a shell would: {exc}") from None
    elif isinstance(raw, list) and all(isinstance(a, str) for a in raw):
        argv = list(raw)
    else:
        raise fail("app.command", raw, 'a list such as ["python", "app.py"] or a string')
    if not argv or not argv[0]:
        raise fail("app.command", raw, 'the program to run, e.g. ["python", "app.py"]')
    return tuple(argv)


def command_search_path(environ: Mapping[str, str] | None = None) -> str:
    """PATH an app runs with: this Python's bin directory first, so `python` in a command is
    the interpreter polyregion runs on (its venv), then the caller's PATH."""
    env = os.environ if environ is None else environ
    return os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", os.defpath)])


def resolve_command(topology: Topology, environ: Mapping[str, str] | None = None) -> str | None:
    """The program of `[app] command` as it will be run, or a ConfigError when there is none.

    A program with a `/` is relative to the topology file's directory; a bare name is looked up
    on the PATH the app gets (`command_search_path`). None when the topology has no command.
    """
    if topology.app_command is None:
        return None
    program = topology.app_command[0]
    if "/" in program:
        # Absolute, not resolve(): a venv's bin/python is a symlink to the base interpreter,
        # and run by its target it would not be the venv's any more.
        path = (topology.app_dir / program).absolute()
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        problem = "is not executable" if path.is_file() else "does not exist"
        raise ConfigError(
            "app.command",
            program,
            f"{path} {problem} (relative paths start at {topology.app_dir}); fix the path, "
            'or run it through its interpreter, e.g. ["python", "app.py"]',
            source=topology.source,
        )
    found = shutil.which(program, path=command_search_path(environ))
    if found is None:
        raise ConfigError(
            "app.command",
            program,
            f"{program!r} is not found on PATH; install it, or give its path relative to "
            f"{topology.app_dir}",
            source=topology.source,
        )
    return found


# -- [[tables]] --------------------------------------------------------------------------------
def tables(raw: object, fail: Fail) -> tuple[TableSpec, ...]:
    out = []
    for i, t in enumerate(_entries(raw, "tables", fail)):
        key = f"tables[{i}]"
        _only(t, key, TABLE_KEYS, fail)
        name = t.get("name")
        if not isinstance(name, str) or not _TABLE.match(name):
            raise fail(f"{key}.name", name, "1-100 of a-z 0-9 _ . - (the table is <app>-<name>)")
        key = f"tables[{i}] ({name})"
        partition_key = _required(t, "partition_key", key, fail)
        sort_key = _optional(t, "sort_key", key, fail)
        if sort_key == partition_key:
            raise fail(f"{key}.sort_key", sort_key, "must differ from partition_key")
        indexes = tuple(
            _index(x, f"{key}.indexes[{j}]", fail)
            for j, x in enumerate(_entries(t.get("indexes", []), f"{key}.indexes", fail))
        )
        _unique([x.name for x in indexes], f"{key}.indexes", "index", fail)
        numeric = t.get("numeric_attributes", [])
        if not isinstance(numeric, list) or not all(isinstance(a, str) for a in numeric):
            raise fail(f"{key}.numeric_attributes", numeric, "a list of attribute names")
        keys = {
            partition_key,
            sort_key,
            *(a for x in indexes for a in (x.partition_key, x.sort_key)),
        }
        for attr in numeric:
            if attr not in keys:
                raise fail(
                    f"{key}.numeric_attributes",
                    attr,
                    "only key attributes of the table or its indexes have a declared type; "
                    f"these are: {', '.join(sorted(k for k in keys if k))}",
                )
        out.append(
            TableSpec(
                name=name,
                scope=_scope(t.get("scope", "global"), f"{key}.scope", fail),
                partition_key=partition_key,
                sort_key=sort_key,
                indexes=indexes,
                ttl_attribute=_optional(t, "ttl_attribute", key, fail),
                numeric_attributes=tuple(numeric),
            )
        )
    _unique([t.name for t in out], "tables", "table", fail)
    return tuple(out)


def _index(t: Mapping[str, Any], key: str, fail: Fail) -> IndexSpec:
    _only(t, key, INDEX_KEYS, fail)
    name = t.get("name")
    if not isinstance(name, str) or not _INDEX.match(name):
        raise fail(f"{key}.name", name, "3-255 of A-Z a-z 0-9 _ . -")
    partition_key = _required(t, "partition_key", key, fail)
    return IndexSpec(name, partition_key, _optional(t, "sort_key", key, fail))


def migrate_data(raw: object, fail: Fail) -> tuple[TableSpec, ...]:
    """Old `[[data]]` classes -> tables with today's physical names: every global class lived in
    the one `<app>-data` table (the blog's, with its indexes), each regional one in its own."""
    out: list[TableSpec] = []
    for i, t in enumerate(_entries(raw, "data", fail)):
        key = f"data[{i}]"
        _only(t, key, ("name", "scope", "description"), fail)
        name = t.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            raise fail(f"{key}.name", name, "3-40 lowercase letters, digits or '-'")
        scope = _scope(t.get("scope"), f"{key}.scope", fail)
        if scope is Scope.GLOBAL:
            if BLOG_TABLE_SPEC not in out:
                out.insert(0, BLOG_TABLE_SPEC)
        else:
            if name == naming.BLOG_TABLE:
                raise fail(f"{key}.name", name, "'data' is the global table; rename the class")
            out.append(
                TableSpec(
                    name,
                    Scope.REGIONAL,
                    naming.PARTITION_KEY,
                    naming.SORT_KEY,
                    ttl_attribute=BLOG_TTL_ATTRIBUTE,
                )
            )
    _unique([t.name for t in out], "data", "data class", fail)
    return tuple(out)


# -- [[buckets]] -------------------------------------------------------------------------------
def buckets(raw: object, fail: Fail) -> tuple[BucketSpec, ...]:
    out = []
    for i, t in enumerate(_entries(raw, "buckets", fail)):
        key = f"buckets[{i}]"
        _only(t, key, BUCKET_KEYS, fail)
        name = t.get("name")
        if not isinstance(name, str) or not _BUCKET.match(name):
            raise fail(
                f"{key}.name", name, "1-42 of a-z 0-9 - (the bucket is <app>-<name>-<region>)"
            )
        key = f"buckets[{i}] ({name})"
        flags = {}
        for flag in ("replicate_deletes", "replication_time_control"):
            if flag in t:
                if not isinstance(t[flag], bool):
                    raise fail(f"{key}.{flag}", t[flag], "must be true or false")
                flags[flag] = t[flag]
        out.append(
            BucketSpec(
                name=name, scope=_scope(t.get("scope", "global"), f"{key}.scope", fail), **flags
            )
        )
    _unique([b.name for b in out], "buckets", "bucket", fail)
    return tuple(out)


def migrate_bucket_settings(raw: Mapping[str, Any], fail: Fail) -> tuple[BucketSpec, ...]:
    """Old `[buckets]` settings applied to the one bucket there was, `assets`."""
    return buckets([{"name": naming.ASSETS_BUCKET, **raw}], fail)


def check_bucket_lengths(topology: Topology, fail: Fail) -> None:
    """S3 names are at most 63 characters; the longest is `<app>-<bucket>-<region>-<account>`."""
    widest = max(topology.region_names, key=len)
    longest = len(widest)
    for i, b in enumerate(topology.buckets):
        size = len(topology.name) + len(b.name) + longest + 2 + ACCOUNT_SUFFIX
        if size > S3_NAME_MAX:
            raise fail(
                f"buckets[{i}].name",
                b.name,
                f"too long: {naming.bucket(topology, widest, '1' * 12, b.name)} "
                f"would be {size} characters, S3 allows {S3_NAME_MAX}; shorten it or app.name",
            )


# -- [drill] -----------------------------------------------------------------------------------
def drill(raw: object, fail: Fail) -> DrillSettings:
    if raw is None:
        return DrillSettings()
    if not isinstance(raw, Mapping):
        raise fail("drill", raw, "must be a table")
    _only(raw, "drill", DRILL_KEYS, fail)
    paths = raw.get("read_paths", ["/"])
    if (
        not isinstance(paths, list)
        or not paths
        or not all(isinstance(p, str) and p.startswith("/") for p in paths)
    ):
        raise fail("drill.read_paths", paths, 'a non-empty list of absolute paths, e.g. ["/"]')
    write = raw.get("write")
    return DrillSettings(
        read_paths=tuple(paths), write=None if write is None else _write(write, fail)
    )


def _write(raw: object, fail: Fail) -> DrillWrite:
    if not isinstance(raw, Mapping):
        raise fail("drill.write", raw, "must be a table")
    _only(raw, "drill.write", DRILL_WRITE_KEYS, fail)
    values: dict[str, str] = {}
    for k in DRILL_WRITE_KEYS:
        if k in raw:
            if not isinstance(raw[k], str):
                raise fail(f"drill.write.{k}", raw[k], "must be a string")
            values[k] = raw[k]
    for k in ("path", "read_back"):
        if k not in values:
            raise fail(f"drill.write.{k}", None, 'an absolute path, e.g. "/api/notes"')
        if not values[k].startswith("/"):
            raise fail(f"drill.write.{k}", values[k], "an absolute path starting with /")
    method = values.get("method", "POST").upper()
    if method not in DRILL_METHODS:
        raise fail("drill.write.method", values.get("method"), f"one of {', '.join(DRILL_METHODS)}")
    values["method"] = method
    if ID not in values["read_back"]:
        raise fail(
            "drill.write.read_back",
            values["read_back"],
            f"must contain {ID} (replaced by each write's fresh id) so every write is read back",
        )
    if ID not in values["path"] and ID not in values.get("body", ""):
        raise fail(
            "drill.write",
            "no {id} in path or body",
            f"put {ID} in path or body: each drill write needs its own id to be counted",
        )
    return DrillWrite(**values)
