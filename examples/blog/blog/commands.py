"""`python -m blog`: run one region of the blog under uvicorn (what `[app] command` runs).

It listens on `$HOST:$PORT` (the app contract; `--host`/`--port` win) and serves the region in
`$POLYREGION_REGION`, against the endpoints in `$POLYREGION_AWS_ENDPOINTS` (the sandbox's).

With no AWS endpoints configured (and no `--aws real`), it starts a moto server on loopback,
provisions the topology's resources in it and serves against that: anyone can try the app
without an AWS account. The moto child is always stopped on exit.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from enum import StrEnum
from typing import Annotated

import typer

from polyregion.options import ConfigOpt


class AwsMode(StrEnum):
    AUTO = "auto"  # endpoints from POLYREGION_AWS_ENDPOINTS, else a local moto server
    LOCAL = "local"  # always a fresh local moto server
    REAL = "real"  # real AWS (credentials from the usual boto3 chain)


@contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """Make SIGTERM unwind the stack (SystemExit 143) so `finally` blocks stop the moto child.

    uvicorn handles SIGTERM itself (graceful shutdown), then re-raises it with the handler
    that was installed before it ran: Python's default one kills the process on the spot,
    skipping every `finally`, which left the moto child running. SIGINT already unwinds
    (KeyboardInterrupt)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def unwind(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, unwind)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def serve(
    region: Annotated[
        str | None,
        typer.Option(
            envvar="POLYREGION_REGION",
            help="Region this instance serves ($POLYREGION_REGION; default: the primary).",
        ),
    ] = None,
    host: Annotated[
        str, typer.Option(envvar="HOST", help="Address to listen on (default: $HOST).")
    ] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option(
            min=0, max=65535, envvar="PORT", help="Port to listen on ($PORT; 0: any free port)."
        ),
    ] = 8080,
    config: ConfigOpt = None,
    aws: Annotated[
        AwsMode,
        typer.Option(
            help="auto: $POLYREGION_AWS_ENDPOINTS if set, else a local moto server; "
            "local: always a local moto server; real: real AWS (your credentials)."
        ),
    ] = AwsMode.AUTO,
    log_level: Annotated[
        str, typer.Option(help="uvicorn log level: debug, info, warning or error.")
    ] = "warning",
) -> None:
    """Run one region's web app; without AWS endpoints, against a local moto server."""
    import uvicorn

    from blog.asgi import create_app
    from blog.settings import (
        ENV_ORIGIN_VERIFY_SECRET,
        ENV_SECURE_COOKIES,
        settings_from_env,
    )
    from polyregion.data.clients import ENV_ENDPOINTS, clients_for
    from polyregion.data.local import LOCAL_CREDENTIALS, free_port, local_moto
    from polyregion.data.provision import provision_region
    from polyregion.errors import ConfigError
    from polyregion.topology.load import load

    topo = load(config)
    name = region or topo.primary.name
    topo.region(name)  # a clear error for an unknown region, before starting anything
    with ExitStack() as stack:
        stack.enter_context(sigterm_unwinds())  # entered first: unwinds everything after it
        settings = settings_from_env(
            topology=topo,
            region=name,
            # Plain http: Secure cookies would never come back. Opt in with =1 behind TLS.
            secure_cookies=os.environ.get(ENV_SECURE_COOKIES) == "1",
        )
        backend = "real AWS" if aws is AwsMode.REAL else "configured endpoints"
        if aws is AwsMode.LOCAL or (aws is AwsMode.AUTO and not settings.endpoints):
            url = stack.enter_context(local_moto())
            os.environ.update(LOCAL_CREDENTIALS)
            endpoints = dict.fromkeys(topo.region_names, url)
            secret = secrets.token_urlsafe(48)  # one value everywhere, as replication gives
            for r in topo.region_names:
                provision_region(topo, r, clients_for(r, endpoints), secret_value=secret)
            settings = settings_from_env(
                topology=topo, region=name, endpoints=endpoints, secure_cookies=False
            )
            backend = f"a local moto server at {url} (data is lost on exit)"
        elif aws is AwsMode.AUTO and name not in settings.endpoints:
            # Endpoints for other regions only: never fall through to real AWS by accident.
            raise ConfigError(
                ENV_ENDPOINTS,
                json.dumps(dict(settings.endpoints)),
                f"has no endpoint for {name}; add one, or pass --aws real to use real AWS",
            )
        elif aws is AwsMode.REAL:
            settings = settings_from_env(
                topology=topo, region=name, endpoints={}, secure_cookies=settings.secure_cookies
            )
        app = create_app(settings)
        app.state.ctx.warm()  # the first health probe should not pay for building clients
        port = port or free_port(host)
        typer.echo(f"blog for {name} on http://{host}:{port}/ against {backend}")
        header = topo.origin.verify_header
        if settings.origin_verify_secret:
            typer.echo(
                f"origin verification on: requests without a valid {header} header get 403 "
                f"(except {topo.health.path}); value from secret {settings.origin_verify_secret}"
            )
        else:
            typer.echo(
                f"origin verification off ({ENV_ORIGIN_VERIFY_SECRET} unset): anyone may call "
                "this origin directly"
            )
        typer.echo("Ctrl-C (or SIGTERM) stops it.")
        uvicorn.run(app, host=host, port=port, log_level=log_level, lifespan="off")


def main() -> None:
    """`python -m blog`: a bad setting is one line naming it and exit 2, never a traceback."""
    import sys

    from polyregion.errors import PolyregionError

    try:
        typer.run(serve)
    except PolyregionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
