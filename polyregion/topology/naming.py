"""Names of the AWS resources and the app's environment, derived from the topology.

The app, the sandbox's provisioning and the CDK stacks all call these, so a table, a bucket or
an environment variable is named in exactly one place:

    table     <app>-<table>                     e.g. notes-notes, polyregion-data
    bucket    <app>-<bucket>-<region>[-<acct>]  S3 names are global: the account keeps them unique
    secrets   <app>/session-secret, <app>/origin-verify
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Final

from polyregion.topology.model import Topology

# The bundled blog's resources: the defaults when a topology declares no tables or buckets
# (polyregion/topology/resources.py), so the blog's physical names never change.
BLOG_TABLE: Final = "data"  # global single-table design, key pk/sk
AUDIT_TABLE: Final = "signin-audit"  # regional: sign-in audit log, never replicated
ASSETS_BUCKET: Final = "assets"
# Key schema of the blog's table (and of tables migrated from [[data]]).
PARTITION_KEY: Final = "pk"
SORT_KEY: Final = "sk"

# Attributes the bundled blog stamps on every global item: the writer's clock (epoch ms), the
# region that wrote, and a per-item version that increases with each write. The consistency
# token of read-your-writes compares `version`. Apps need not stamp anything: the replicator
# orders writes by their stream record when these are absent (replication/stamps.py).
UPDATED_AT: Final = "updated_at"
UPDATED_REGION: Final = "updated_region"
VERSION: Final = "version"

# The environment every app process gets (docs/your-app.md), locally and on Lambda.
ENV_HOST: Final = "HOST"
ENV_PORT: Final = "PORT"
ENV_REGION: Final = "POLYREGION_REGION"
ENV_REGIONS: Final = "POLYREGION_REGIONS"
ENV_AWS_ENDPOINTS: Final = "POLYREGION_AWS_ENDPOINTS"
ENV_TABLE_PREFIX: Final = "POLYREGION_TABLE_"
ENV_BUCKET_PREFIX: Final = "POLYREGION_BUCKET_"
ENV_SECRET_SESSION: Final = "POLYREGION_SECRET_SESSION"  # noqa: S105 - a variable name
ENV_ORIGIN_VERIFY_SECRET: Final = "POLYREGION_ORIGIN_VERIFY_SECRET"  # noqa: S105 - a name
ENV_ORIGIN_VERIFY_HEADER: Final = "POLYREGION_ORIGIN_VERIFY_HEADER"
ENV_SECURE_COOKIES: Final = "POLYREGION_SECURE_COOKIES"
# Never real AWS from a local run: dummy credentials, no instance metadata lookups.
LOCAL_AWS_CREDENTIALS: Final = {
    "AWS_ACCESS_KEY_ID": "sandbox",
    "AWS_SECRET_ACCESS_KEY": "sandbox",
    "AWS_SESSION_TOKEN": "sandbox",
    "AWS_EC2_METADATA_DISABLED": "true",
}

_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")


def table(topology: Topology, name: str) -> str:
    """Physical name of a declared table (the same in every region)."""
    return f"{topology.name}-{name}"


def bucket(
    topology: Topology, region: str, account: str | None = None, name: str = ASSETS_BUCKET
) -> str:
    """Physical name of a declared bucket in one region; on AWS the account id keeps it unique."""
    suffix = f"-{account}" if account else ""
    return f"{topology.name}-{name}-{region}{suffix}"


def session_secret(topology: Topology) -> str:
    return f"{topology.name}/session-secret"


def origin_verify_secret(topology: Topology) -> str:
    """The value CloudFront sends in `origin.verify_header`; the origins refuse requests without."""
    return f"{topology.name}/origin-verify"


def region_origin_hostname(topology: Topology, region: str) -> str:
    """The hostname that reaches one region only: Route 53 health-checks each region on it."""
    return f"{region}.{topology.origin_hostname}"


def env_key(name: str) -> str:
    """`signin-audit` -> `SIGNIN_AUDIT`: the suffix of a table's or bucket's variable."""
    return _NOT_ALNUM.sub("_", name).upper()


def app_environment(
    topology: Topology,
    region: str,
    *,
    host: str | None = None,
    port: int | None = None,
    endpoints: Mapping[str, str] | None = None,
    account: str | None = None,
    origin_verify: bool = True,
    secure_cookies: bool = True,
) -> dict[str, str]:
    """The contract environment of one app process serving `region` (docs/your-app.md).

    `endpoints` (region -> AWS endpoint URL) makes it a local run: AWS_ENDPOINT_URL, the
    cross-region map, the region variables and dummy credentials are set. Without it the
    process runs on AWS, where Lambda sets AWS_REGION itself (a reserved variable).
    `origin_verify=False` leaves the origin open (the variable is then absent).
    """
    topology.region(region)  # ConfigError naming the allowed regions
    env: dict[str, str] = {
        ENV_REGION: region,
        ENV_REGIONS: ",".join(topology.region_names),
        ENV_SECRET_SESSION: session_secret(topology),
        ENV_ORIGIN_VERIFY_HEADER: topology.origin.verify_header,
        ENV_SECURE_COOKIES: "1" if secure_cookies else "0",
    }
    if host is not None:
        env[ENV_HOST] = host
    if port is not None:
        env[ENV_PORT] = str(port)
    if origin_verify:
        env[ENV_ORIGIN_VERIFY_SECRET] = origin_verify_secret(topology)
    for t in topology.tables:
        env[ENV_TABLE_PREFIX + env_key(t.name)] = table(topology, t.name)
    for b in topology.buckets:
        env[ENV_BUCKET_PREFIX + env_key(b.name)] = bucket(topology, region, account, b.name)
    if endpoints is not None:
        env.update(LOCAL_AWS_CREDENTIALS)
        env["AWS_REGION"] = env["AWS_DEFAULT_REGION"] = region
        env["AWS_ENDPOINT_URL"] = endpoints[region]
        env[ENV_AWS_ENDPOINTS] = json.dumps(dict(endpoints), sort_keys=True)
    return env
