"""Command-line options shared by every area's commands, defined once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Topology file (default: $POLYREGION_CONFIG, ./polyregion.toml or built-ins).",
    ),
]
