"""The sandbox's children, described once: what to run for each region and location.

The supervisor starts these; `fault kill/revive` stops and restarts the app the same way.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Final

from polyregion.sandbox.edge import ENV_ORIGIN_VERIFY
from polyregion.sandbox.plan import LocationPlan, RegionPlan, SandboxPlan
from polyregion.sandbox.process import Child
from polyregion.topology import naming
from polyregion.topology.model import Topology
from polyregion.topology.resources import command_search_path, resolve_command

# Never real AWS from the sandbox: dummy credentials, no instance metadata lookups.
SANDBOX_AWS_ENV: Final = naming.LOCAL_AWS_CREDENTIALS
# The bundled blog, when the topology declares no [app] command.
BLOG_COMMAND: Final = (sys.executable, "-m", "polyregion.cli", "serve")


def base_env(topology: Topology) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POLYREGION_"))}
    env.update(SANDBOX_AWS_ENV)
    env["PYTHONUNBUFFERED"] = "1"
    if topology.source and not topology.source.startswith("<"):
        env["POLYREGION_CONFIG"] = str(Path(topology.source).resolve())
    return env


def aws_endpoint(region: RegionPlan, topology: Topology, logs: Path) -> Child:
    return _moto(f"aws:{region.name}", region.ip, region.aws_port, topology, logs)


def route53_moto(sandbox: SandboxPlan, topology: Topology, logs: Path) -> Child:
    """The moto holding Route 53 (the API front in the supervisor forwards to it)."""
    return _moto("route53:moto", sandbox.route53_host, sandbox.route53_moto_port, topology, logs)


def _moto(name: str, host: str, port: int, topology: Topology, logs: Path) -> Child:
    return Child(
        name,
        [
            sys.executable,
            "-m",
            "polyregion.sandbox.aws_endpoint",
            "--host",
            host,
            "--port",
            str(port),
        ],
        env=base_env(topology),
        log_path=logs / f"{name.replace(':', '-')}.log",
    )


def app_log(logs: Path, region: str) -> Path:
    return logs / f"app-{region}.log"


def app(region: RegionPlan, sandbox: SandboxPlan, topology: Topology, logs: Path) -> Child:
    """A region's app: the declared command (or the bundled blog) with the contract's
    environment (naming.app_environment, docs/your-app.md), from the topology file's dir."""
    env = base_env(topology)
    env.update(
        naming.app_environment(
            topology,
            region.name,
            host=region.ip,
            port=region.origin_port,
            endpoints=sandbox.aws_endpoints,
            # Only requests through an edge get in (health excepted), as behind CloudFront.
            origin_verify=True,
            secure_cookies=False,  # plain http on loopback
        )
    )
    env["PATH"] = command_search_path(env)  # `python` is polyregion's own interpreter
    if topology.app_command is None:
        argv = [*BLOG_COMMAND, "--region", region.name, "--host", region.ip]
        argv += ["--port", str(region.origin_port)]
        cwd = None
    else:
        argv = list(topology.app_command)
        argv[0] = resolve_command(topology, env) or argv[0]
        cwd = topology.app_dir
    return Child(f"app:{region.name}", argv, env=env, log_path=app_log(logs, region.name), cwd=cwd)


def edge(
    location: LocationPlan,
    sandbox: SandboxPlan,
    topology: Topology,
    logs: Path,
    *,
    origin_verify: str | None = None,
) -> Child:
    env = base_env(topology)
    verify: list[str] = []
    if origin_verify is not None:
        env[ENV_ORIGIN_VERIFY] = origin_verify
        verify = ["--origin-verify-header", topology.origin.verify_header]
    return Child(
        f"edge:{location.name}",
        [
            sys.executable,
            "-m",
            "polyregion.sandbox.edge",
            "--location",
            location.name,
            "--subnet",
            str(location.subnet),
            "--host",
            location.ip,
            "--port",
            str(location.port),
            "--origin-hostname",
            topology.origin_hostname,
            "--origin-port",
            str(sandbox.regions[0].origin_port),
            "--dns-host",
            sandbox.dns_host,
            "--dns-port",
            str(sandbox.dns_port),
            *verify,
        ],
        env=env,
        log_path=logs / f"edge-{location.name}.log",
    )
