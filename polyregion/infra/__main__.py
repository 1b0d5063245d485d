"""CDK CLI entry: `cdk --app "python -m polyregion.infra [--config F] [--asset DIR]"`.

The CLI sets $CDK_OUTDIR; we synthesize there with the same code as `polyregion synth`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from polyregion.errors import PolyregionError
from polyregion.infra.synth import synthesize
from polyregion.topology.load import load


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m polyregion.infra")
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("--asset", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        synthesize(load(args.config), out=None, asset=args.asset)
    except PolyregionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
