"""Names and schemas of the AWS resources, derived from the topology.

The app, the sandbox's provisioning and the CDK stacks all call these, so a table or bucket is
named in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from polyregion.topology.model import Topology

# Key schema shared by the global table and every regional table: a single-table design.
PARTITION_KEY: Final = "pk"
SORT_KEY: Final = "sk"


@dataclass(frozen=True, slots=True)
class Index:
    name: str
    partition_key: str
    sort_key: str | None = None


# Global secondary indexes of the global table (all attributes are strings except created_at).
GLOBAL_INDEXES: Final[tuple[Index, ...]] = (
    Index(name="by-slug", partition_key="slug"),
    Index(name="by-kind", partition_key="kind", sort_key="created_at"),
)
NUMERIC_ATTRIBUTES: Final = frozenset({"created_at"})

# Attributes the app stamps on every global item: the writer's clock (epoch ms), the region
# that wrote, and a per-item version that increases with each write. The consistency token of
# read-your-writes compares `version`; the sandbox replicator resolves conflicts by
# (`updated_at`, `updated_region`) - last writer wins, ties broken by region name.
UPDATED_AT: Final = "updated_at"
UPDATED_REGION: Final = "updated_region"
VERSION: Final = "version"


def global_table(topology: Topology) -> str:
    return f"{topology.name}-data"


def regional_table(topology: Topology, data_class: str) -> str:
    """One table per regional data class, created in every region and never replicated."""
    return f"{topology.name}-{data_class}"


def bucket(topology: Topology, region: str, account: str | None = None) -> str:
    """S3 names are global: on AWS the account id keeps them unique."""
    suffix = f"-{account}" if account else ""
    return f"{topology.name}-assets-{region}{suffix}"


def session_secret(topology: Topology) -> str:
    return f"{topology.name}/session-secret"


def origin_verify_secret(topology: Topology) -> str:
    """The value CloudFront sends in `origin.verify_header`; the origins refuse requests without."""
    return f"{topology.name}/origin-verify"


def region_origin_hostname(topology: Topology, region: str) -> str:
    """The hostname that reaches one region only: Route 53 health-checks each region on it."""
    return f"{region}.{topology.origin_hostname}"
