"""The sandbox's children, described once: what to run for each region and location.

The supervisor starts these; `fault kill/revive` stops and restarts the app the same way.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Final

from polyregion.data.clients import ENV_ENDPOINTS
from polyregion.kit.env import ORIGIN_VERIFY_SECRET as ENV_ORIGIN_VERIFY_SECRET
from polyregion.sandbox.edge import ENV_ORIGIN_VERIFY
from polyregion.sandbox.plan import LocationPlan, RegionPlan, SandboxPlan
from polyregion.sandbox.process import Child
from polyregion.topology import naming
from polyregion.topology.model import Topology

# The bundled blog (examples/blog), run by path until the topology's `[app] command` is used.
BLOG_DIR: Final = Path(__file__).resolve().parents[2] / "examples" / "blog"

# Never real AWS from the sandbox: dummy credentials, no instance metadata lookups.
SANDBOX_AWS_ENV: Final = {
    "AWS_ACCESS_KEY_ID": "sandbox",
    "AWS_SECRET_ACCESS_KEY": "sandbox",
    "AWS_SESSION_TOKEN": "sandbox",
    "AWS_EC2_METADATA_DISABLED": "true",
}


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


def app(region: RegionPlan, sandbox: SandboxPlan, topology: Topology, logs: Path) -> Child:
    env = base_env(topology)
    env.update(
        {
            "POLYREGION_REGION": region.name,
            ENV_ENDPOINTS: json.dumps(sandbox.aws_endpoints),
            "POLYREGION_SECURE_COOKIES": "0",  # plain http on loopback
            # Only requests through an edge get in (health excepted), as behind CloudFront.
            ENV_ORIGIN_VERIFY_SECRET: naming.origin_verify_secret(topology),
        }
    )
    env["HOST"], env["PORT"] = region.ip, str(region.origin_port)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(BLOG_DIR), env.get("PYTHONPATH", "")) if p)
    return Child(
        f"app:{region.name}",
        [sys.executable, "-m", "blog"],
        env=env,
        log_path=logs / f"app-{region.name}.log",
    )


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
