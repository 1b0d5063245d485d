"""AWS Lambda entry point: `blog.lambda_handler.handler`.

Mangum adapts API Gateway v2 / Function URL events to ASGI in-process: pure Python (no
binary layer, no extra process), and testable with a recorded event. The app is built once
per execution environment, on the first invocation; the region comes from `AWS_REGION`,
which Lambda sets itself (it is reserved: never set it).
"""

from __future__ import annotations

import contextlib
from typing import Any

_handler: Any = None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _handler
    if _handler is None:
        from mangum import Mangum

        from blog.asgi import create_app

        app = create_app()
        if app.context is not None and app.context.origin_keys is not None:
            # Read the origin verification value at cold start; a failure here is retried by
            # the guard on the first request (which then fails closed).
            with contextlib.suppress(Exception):
                app.context.origin_keys.get()
        # lifespan off: no other startup work; clients are built on first use.
        _handler = Mangum(app, lifespan="off")
    result: dict[str, Any] = _handler(event, context)
    return result
