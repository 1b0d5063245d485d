"""The `polyregion` command. Each area registers its own commands from `<area>/commands.py`.

Command modules import heavy libraries (boto3, moto, aws-cdk-lib) inside the command functions,
so `polyregion --help` stays fast.
"""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console

from polyregion.errors import PolyregionError

# Each module exposes `register(app: typer.Typer) -> None`.
COMMAND_MODULES = (
    "polyregion.topology.commands",
    "polyregion.stack",
    "polyregion.sandbox.commands",
    "polyregion.dashboard.commands",
    "polyregion.ops.commands",
    "polyregion.infra.commands",
    "polyregion.cost.commands",
    "polyregion.lint.commands",
)

app = typer.Typer(
    name="polyregion",
    help="Run a multi-region AWS web frontend locally, deploy it, and prove its failover works.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Markdown reflows docstrings to the terminal's width; typer's "rich" mode keeps their
    # source line breaks, which cut sentences in two in narrow terminals.
    rich_markup_mode="markdown",
)

for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)

err_console = Console(stderr=True, soft_wrap=True)


def main() -> None:
    """Console-script entry point: user errors become one clear line and exit code 2."""
    try:
        # In non-standalone mode typer returns the code of a `typer.Exit` instead of exiting.
        code = app(standalone_mode=False)
    except PolyregionError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # click's usage errors arrive here in non-standalone mode
        import click

        # typer >= 0.29 vendors click: its usage errors derive from typer.TyperException.
        if isinstance(exc, click.ClickException | typer.TyperException) and hasattr(exc, "show"):
            exc.show()
            sys.exit(getattr(exc, "exit_code", 2))
        raise
    if isinstance(code, int) and code:
        sys.exit(code)


if __name__ == "__main__":
    main()
