"""The one topology model: load it once, pass it everywhere."""

from __future__ import annotations

from polyregion.topology.load import from_dict, load
from polyregion.topology.model import (
    Consistency,
    Coordinates,
    DataClass,
    Location,
    Region,
    Role,
    Scope,
    Topology,
)

__all__ = [
    "Consistency",
    "Coordinates",
    "DataClass",
    "Location",
    "Region",
    "Role",
    "Scope",
    "Topology",
    "from_dict",
    "load",
]
