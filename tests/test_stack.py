"""`polyregion up`'s composition: what it plugs in, and the layering it keeps."""

from __future__ import annotations

import ast
from pathlib import Path

from polyregion.replication.endpoint import wrap
from polyregion.sandbox.aws_endpoint import load_extension
from polyregion.sandbox.component import Partitioner
from polyregion.stack import ENDPOINT_EXTENSIONS, components

PACKAGE = Path(__file__).resolve().parents[1] / "polyregion"
# Each layer may import only what is listed below it (and itself).
ABOVE_TOPOLOGY = ("polyregion.sandbox", "polyregion.replication", "polyregion.dashboard",
                  "polyregion.ops", "polyregion.stack", "polyregion.infra", "polyregion.cost",
                  "polyregion.lint", "polyregion.cli")  # fmt: skip
HIGHER = {
    "sandbox": ("polyregion.replication", "polyregion.dashboard", "polyregion.ops",
                "polyregion.stack"),
    "replication": ("polyregion.dashboard", "polyregion.ops", "polyregion.stack"),
    "topology": ABOVE_TOPOLOGY,
    # The library apps import: only the contract, errors and boto3 clients (docs/kit.md).
    "kit": (*ABOVE_TOPOLOGY, "polyregion.topology", "polyregion.data.provision"),
}  # fmt: skip


def imports(path: Path) -> set[str]:
    """Every module a file imports, at top level or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_lower_layers_never_import_higher_ones() -> None:
    offending = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for layer, higher in HIGHER.items()
        for path in sorted((PACKAGE / layer).rglob("*.py"))
        for name in sorted(imports(path))
        if name.startswith(higher)
    ]
    assert offending == []


def test_nothing_in_polyregion_imports_an_example() -> None:
    """The bundled blog is an app like any other (examples/blog): run by command, copied into
    the Lambda asset by path, never imported."""
    offending = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for name in sorted(imports(path))
        if name == "blog" or name.startswith("blog.")
    ]
    assert offending == []


def test_up_plugs_in_the_replicator_and_the_dashboard() -> None:
    made = [factory() for factory in components()]
    assert [c.name for c in made] == ["replicator", "dashboard"]
    assert isinstance(made[0], Partitioner) and not isinstance(made[1], Partitioner)
    assert [load_extension(spec) for spec in ENDPOINT_EXTENSIONS] == [wrap]


def test_long_log_paths_are_printed_whole_at_80_columns() -> None:
    """A run directory deep in a temp dir: the log paths people copy are never folded (they
    were, when `status` wrote to a pipe), while the tables still fit 80 columns."""
    from rich.console import Console

    from polyregion.stack import show
    from tests.support.fake_control import FakeSandbox

    status = FakeSandbox().status()
    log = "/tmp/" + "a-very-deep-run-directory/" * 4 + "logs/app-us-east-1.log"
    status["regions"][0]["app"]["log"] = log
    status["replication"] = {}  # (the fake's replication view is not the replicator's shape)
    console = Console(width=80, record=True)
    show(console, status)
    text = console.export_text()
    assert f"app {status['regions'][0]['name']}: {log}" in text
    assert max(len(line) for line in text.splitlines() if line.startswith(("┃", "│"))) <= 80
