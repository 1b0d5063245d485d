"""`polyregion lint PATH...`: multi-region mistakes in any CloudFormation or CDK app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def lint(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="cdk.out directories, CloudFormation templates (JSON/YAML) and runbooks "
            "(.md/.sh/.txt, for the drill rule).",
            show_default=False,
        ),
    ],
    region: Annotated[
        list[str] | None,
        typer.Option(
            "--region",
            help="STACK=REGION for a template whose region the input does not say "
            "(STACK: file name without .template.json/.yaml). Repeatable.",
        ),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore", help="A rule id to skip (EDGE1 or MultiRegion-EDGE1). Repeatable."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print findings as JSON (shape in docs/lint-rules.md).")
    ] = False,
    sarif: Annotated[
        Path | None, typer.Option("--sarif", help="Also write SARIF 2.1.0 to this file.")
    ] = None,
) -> None:
    """Find multi-region mistakes in any CloudFormation or CDK app (no topology needed).

    Rules span the edge, origins, Route 53, data, cross-region plumbing and drills, across all
    stacks at once. Exit 0: no errors; 1: errors; 2: unreadable input. Rules and fixes:
    docs/lint-rules.md.
    """
    from rich.console import Console

    from polyregion.lint.engine import lint_paths
    from polyregion.lint.load import LintInputError, parse_region_options
    from polyregion.lint.report import as_json as to_json
    from polyregion.lint.report import print_human, write_sarif

    result = lint_paths(paths, regions=parse_region_options(region or []), ignore=ignore or [])
    if sarif is not None:
        try:
            write_sarif(result, sarif)
        except OSError as exc:
            raise LintInputError(f"--sarif {sarif}: cannot be written ({exc.strerror})") from None
    if as_json:
        typer.echo(json.dumps(to_json(result), indent=2))
    else:
        print_human(result, Console(soft_wrap=True))
    raise typer.Exit(1 if result.errors else 0)


def register(app: typer.Typer) -> None:
    app.command("lint")(lint)
