"""The one topology model: load it once, pass it everywhere."""

from __future__ import annotations

from polyregion.topology.load import from_dict, load
from polyregion.topology.model import (
    BucketSpec,
    Consistency,
    Coordinates,
    DrillSettings,
    DrillWrite,
    IndexSpec,
    Location,
    Region,
    Role,
    Scope,
    TableSpec,
    Topology,
)

__all__ = [
    "BucketSpec",
    "Consistency",
    "Coordinates",
    "DrillSettings",
    "DrillWrite",
    "IndexSpec",
    "Location",
    "Region",
    "Role",
    "Scope",
    "TableSpec",
    "Topology",
    "from_dict",
    "load",
]
