"""`python -m polyregion.dashboard --control-url URL --port P`: how `polyregion up` starts it."""

from __future__ import annotations

import argparse

from polyregion.dashboard.server import serve


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m polyregion.dashboard")
    parser.add_argument("--control-url", required=True, help="the sandbox's control API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7601)
    args = parser.parse_args()
    serve(args.control_url, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
