"""The app contract's keys: [app] command, [[tables]], [[buckets]], [drill], and the migration."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from polyregion.errors import ConfigError
from polyregion.topology import IndexSpec, Scope, from_dict, load, naming
from polyregion.topology.resources import resolve_command

NOTES: dict[str, Any] = {
    "app": {"name": "notes", "command": ["python", "app.py"]},
    "health": {"path": "/healthz"},
    "tables": [
        {"name": "notes", "scope": "global", "partition_key": "id"},
        {
            "name": "audit-log",
            "scope": "regional",
            "partition_key": "user",
            "sort_key": "at",
            "numeric_attributes": ["at"],
            "ttl_attribute": "expires",
            "indexes": [{"name": "by-kind", "partition_key": "kind", "sort_key": "at"}],
        },
    ],
    "buckets": [{"name": "uploads"}, {"name": "exports", "scope": "regional"}],
    "drill": {
        "read_paths": ["/", "/api/notes"],
        "write": {
            "path": "/api/notes",
            "body": '{"id": "{id}", "text": "drill"}',
            "read_back": "/api/notes/{id}",
        },
    },
}


def bad(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as err:
        from_dict(raw)
    return str(err.value)


def with_(**sections: Any) -> dict[str, Any]:
    return {**NOTES, **sections}


def test_an_apps_own_contract_is_read_exactly() -> None:
    topo = from_dict(NOTES)
    assert topo.app_command == ("python", "app.py")
    assert topo.health.path == "/healthz"
    notes, audit = topo.tables
    assert (notes.name, notes.scope, notes.key_attributes) == ("notes", Scope.GLOBAL, ("id",))
    assert audit.scope is Scope.REGIONAL and audit.key_attributes == ("user", "at")
    assert audit.indexes == (IndexSpec("by-kind", "kind", "at"),)
    assert audit.attribute_type("at") == "N" and audit.attribute_type("kind") == "S"
    assert audit.ttl_attribute == "expires"
    assert [t.name for t in topo.global_tables] == ["notes"]
    assert [b.name for b in topo.global_buckets] == ["uploads"]
    assert topo.drill.read_paths == ("/", "/api/notes")
    assert topo.drill.write is not None
    assert topo.drill.write.method == "POST"
    assert topo.drill.write.render("w1") == (
        "/api/notes",
        '{"id": "w1", "text": "drill"}',
        "/api/notes/w1",
    )
    assert naming.table(topo, "audit-log") == "notes-audit-log"
    assert naming.bucket(topo, "eu-west-1", "123456789012", "uploads") == (
        "notes-uploads-eu-west-1-123456789012"
    )


def test_command_may_be_a_shell_string() -> None:
    topo = from_dict(with_(app={"name": "notes", "command": "node 'my server.js' --port 1"}))
    assert topo.app_command == ("node", "my server.js", "--port", "1")


def test_an_app_gets_only_what_it_declares_the_blog_gets_its_defaults() -> None:
    app = from_dict({"app": {"name": "notes", "command": "python app.py"}})
    assert app.tables == () and app.buckets == ()
    blog = from_dict({})
    assert [(t.name, t.scope) for t in blog.tables] == [
        ("data", Scope.GLOBAL),
        ("signin-audit", Scope.REGIONAL),
    ]
    assert [b.name for b in blog.buckets] == ["assets"]
    # The blog's physical names are what they always were.
    assert naming.table(blog, "data") == "polyregion-data"
    assert naming.bucket(blog, "us-east-1") == "polyregion-assets-us-east-1"


def test_the_environment_of_an_app_process() -> None:
    topo = from_dict(NOTES)
    eps = {"us-east-1": "http://127.0.1.1:8001", "eu-west-1": "http://127.0.2.1:8001"}
    env = naming.app_environment(
        topo, "eu-west-1", host="127.0.2.1", port=8000, endpoints=eps, secure_cookies=False
    )
    assert env["HOST"] == "127.0.2.1" and env["PORT"] == "8000"
    assert env["POLYREGION_REGION"] == "eu-west-1"
    assert env["POLYREGION_REGIONS"] == "us-east-1,eu-west-1"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.2.1:8001"
    assert env["AWS_ACCESS_KEY_ID"] == "sandbox"
    assert env["POLYREGION_TABLE_NOTES"] == "notes-notes"
    assert env["POLYREGION_TABLE_AUDIT_LOG"] == "notes-audit-log"
    assert env["POLYREGION_BUCKET_UPLOADS"] == "notes-uploads-eu-west-1"
    assert env["POLYREGION_SECRET_SESSION"] == "notes/session-secret"
    assert env["POLYREGION_ORIGIN_VERIFY_SECRET"] == "notes/origin-verify"
    assert env["POLYREGION_ORIGIN_VERIFY_HEADER"] == "x-origin-verify"
    assert env["POLYREGION_SECURE_COOKIES"] == "0"
    # On AWS: no endpoints, no credentials, no AWS_REGION (Lambda's own, reserved).
    aws = naming.app_environment(topo, "us-east-1", account="123456789012", origin_verify=False)
    assert "AWS_REGION" not in aws and "AWS_ENDPOINT_URL" not in aws
    assert "POLYREGION_AWS_ENDPOINTS" not in aws and "AWS_ACCESS_KEY_ID" not in aws
    assert "POLYREGION_ORIGIN_VERIFY_SECRET" not in aws
    assert aws["POLYREGION_BUCKET_UPLOADS"] == "notes-uploads-us-east-1-123456789012"


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        # unknown keys, with the likely fix
        (with_(tables=[{"name": "n", "partition_kye": "id"}]), "did you mean partition_key"),
        (with_(app={"name": "notes", "comand": "x"}), "did you mean command"),
        (with_(drill={"read_path": ["/"]}), "did you mean read_paths"),
        ({**NOTES, "tabels": []}, "did you mean tables"),
        # a table without its key
        (with_(tables=[{"name": "notes", "scope": "global"}]), "partition_key is not set"),
        # name clashes, also once normalised for the environment
        (
            with_(
                tables=[{"name": "a", "partition_key": "k"}, {"name": "a", "partition_key": "k"}]
            ),
            "'a' declared twice",
        ),
        (
            with_(
                tables=[
                    {"name": "my-notes", "partition_key": "k"},
                    {"name": "my_notes", "partition_key": "k"},
                ]
            ),
            "'my_notes' clashes with 'my-notes' (both are MY_NOTES",
        ),
        (with_(buckets=[{"name": "up"}, {"name": "up"}]), "bucket names must differ"),
        # drill writes need {id}
        (
            with_(drill={"write": {"path": "/api/notes", "body": "{}", "read_back": "/api/notes"}}),
            "drill.write.read_back",
        ),
        (
            with_(drill={"write": {"path": "/n", "body": "{}", "read_back": "/n/{id}"}}),
            "put {id} in path or body",
        ),
        (with_(tables=[{"name": "n", "partition_key": "k", "scope": "world"}]), '"regional"'),
        (with_(app={"name": "notes", "command": []}), "app.command"),
        (with_(app={"name": "notes", "command": "python 'app.py"}), "shell"),
        (with_(tables=[{"name": "n", "partition_key": "k", "numeric_attributes": ["x"]}]), "x"),
        ({"data": [], "tables": []}, "[[tables]] only"),
        (with_(buckets=[{"name": "b" * 42}]), "S3 allows 63"),
    ],
)
def test_bad_contract_names_the_key_and_the_fix(raw: dict[str, Any], needle: str) -> None:
    assert needle in bad(raw)


def test_misspelled_region_suggests_the_right_one() -> None:
    message = bad({"regions": [{"name": "us-east-9", "role": "primary"}]})
    assert "unknown region us-east-9, did you mean us-east-1?" in message
    assert "lat" not in message.split("did you mean")[0]
    # A region polyregion does not know works with its coordinates.
    topo = from_dict(
        {"regions": [{"name": "mx-central-1", "role": "primary", "lat": 20, "lon": -100}]}
    )
    assert topo.region_names == ("mx-central-1",)


def test_old_data_and_buckets_migrate_with_a_deprecation(tmp_path: Path) -> None:
    old = tmp_path / "polyregion.toml"
    old.write_text(
        '[[data]]\nname = "posts"\nscope = "global"\n'
        '[[data]]\nname = "users"\nscope = "global"\n'
        '[[data]]\nname = "signin-audit"\nscope = "regional"\n'
        "[buckets]\nreplicate_deletes = true\n",
        encoding="utf-8",
    )
    topo = load(old)
    assert topo.tables == from_dict({}).tables  # the same tables, the same physical names
    (assets,) = topo.buckets
    assert (assets.name, assets.replicate_deletes) == ("assets", True)
    assert len(topo.deprecations) == 2
    assert all("deprecated" in d for d in topo.deprecations)


def test_command_is_resolved_on_path_or_next_to_the_file(tmp_path: Path) -> None:
    cfg = tmp_path / "polyregion.toml"
    cfg.write_text('[app]\nname = "notes"\ncommand = "./serve.sh"\n', encoding="utf-8")
    topo = load(cfg)
    assert topo.app_dir == tmp_path
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_command(topo)
    script = tmp_path / "serve.sh"
    script.write_text("#!/bin/sh\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not executable"):
        resolve_command(topo)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    assert resolve_command(topo) == str(script)

    cfg.write_text(
        '[app]\nname = "notes"\ncommand = ["no-such-program-x", "a"]\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="not found on PATH"):
        resolve_command(load(cfg))
    # `python` is this interpreter's, found first on the app's PATH.
    cfg.write_text('[app]\nname = "notes"\ncommand = ["python", "app.py"]\n', encoding="utf-8")
    found = resolve_command(load(cfg), environ={"PATH": os.defpath})
    assert found is not None and Path(found).name == "python"


def test_a_venvs_interpreter_is_run_as_the_venvs_not_as_its_symlinks_target(
    tmp_path: Path,
) -> None:
    """`command = [".venv/bin/python", ...]`: bin/python is a symlink to the base interpreter;
    resolved through it, the app ran without the venv's packages."""
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(tmp_path / ".venv")], check=True
    )
    cfg = tmp_path / "polyregion.toml"
    cfg.write_text(
        '[app]\nname = "notes"\ncommand = [".venv/bin/python", "app.py"]\n', encoding="utf-8"
    )
    found = resolve_command(load(cfg))
    assert found == str(tmp_path / ".venv" / "bin" / "python")
    prefix = subprocess.run(
        [found, "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert Path(prefix) == tmp_path / ".venv"
