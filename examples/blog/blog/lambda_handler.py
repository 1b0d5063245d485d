"""AWS Lambda entry points: `blog.lambda_handler.handler` (the bundled blog's function) and
`blog.lambda_handler:app` (examples/blog/polyregion.toml's `[app.lambda] handler`).

Mangum adapts API Gateway v2 / Function URL events to ASGI in-process: pure Python (no
binary layer, no extra process), and testable with a recorded event. The app is built once
per execution environment, on the first invocation; the region comes from `AWS_REGION`,
which Lambda sets itself (it is reserved: never set it).
"""

from __future__ import annotations

import contextlib
from typing import Any

_handler: Any = None
_app: Any = None


def _build() -> Any:
    from blog.asgi import create_app

    app = create_app()
    if app.context is not None and app.context.origin_keys is not None:
        # Read the origin verification value at cold start; a failure here is retried by
        # the guard on the first request (which then fails closed).
        with contextlib.suppress(Exception):
            app.context.origin_keys.get()
    return app


async def app(scope: Any, receive: Any, send: Any) -> None:
    """The blog as an ASGI app built on first use: what `[app.lambda] handler =
    "blog.lambda_handler:app"` (examples/blog/polyregion.toml) names, wrapped in Mangum by the
    `_polyregion_handler.py` that `polyregion build` writes."""
    global _app
    if _app is None:
        _app = _build()
    await _app(scope, receive, send)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _handler
    if _handler is None:
        from mangum import Mangum

        # lifespan off: no other startup work; clients are built on first use.
        _handler = Mangum(_build(), lifespan="off")
    result: dict[str, Any] = _handler(event, context)
    return result
