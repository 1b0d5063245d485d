"""Last-writer-wins ordering of item versions, and the conditions that enforce it.

A write is ordered by its stamp `(updated_at, updated_region, version)`: the writer's clock in
epoch ms, ties broken by region name, then by the per-item version. Every replica applies a
change only if it is strictly newer than what it holds (checked and written atomically inside
the region's store, see replica_writes.py), so applying the same change twice, or an older one
late, changes nothing: replays are harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from polyregion.topology import naming

# Carried by the old image of the REMOVE stream record of every delete the replicator applies
# (added to the record only, never to an item), so that REMOVE is recognised as replication,
# not as a local delete to replicate again (DynamoDB global tables 2017 marked items with
# `aws:rep:deleting` for the same purpose). Its value is the delete's stamp.
DELETING: Final = "pr:rep:deleting"

Image = dict[str, Any]  # an item in DynamoDB JSON: {"pk": {"S": "..."}, ...}


@dataclass(frozen=True, order=True, slots=True)
class Stamp:
    at: int  # epoch ms on the writer's clock
    region: str
    version: int = 0

    def encode(self) -> str:
        return f"{self.at}|{self.region}|{self.version}"

    @classmethod
    def decode(cls, raw: str) -> Stamp:
        at, region, version = raw.split("|")
        return cls(int(at), region, int(version))


def stamp_of(image: Image | None) -> Stamp | None:
    """The stamp the app wrote on an item, or None when the item carries none."""
    if not image or naming.UPDATED_AT not in image:
        return None
    try:
        at = int(float(image[naming.UPDATED_AT]["N"]))
        region = image.get(naming.UPDATED_REGION, {}).get("S", "")
        version = int(float(image.get(naming.VERSION, {}).get("N", "0")))
    except (KeyError, TypeError, ValueError):
        return None
    return Stamp(at, str(region), version)


def key_of(image: Image) -> dict[str, Any]:
    return {k: image[k] for k in (naming.PARTITION_KEY, naming.SORT_KEY) if k in image}


def key_id(key: dict[str, Any]) -> str:
    """A stable string for an item key (tombstones are kept in a JSON file)."""
    return "\x1f".join(
        f"{k}={next(iter(key[k].values()))}"
        for k in (naming.PARTITION_KEY, naming.SORT_KEY)
        if k in key
    )


def stored_older(stored: Image | None, stamp: Stamp) -> bool:
    """True when the stored item is strictly older than `stamp`: the LWW rule every replica
    applies (an absent item, or one without `updated_at`, counts as oldest).

    A missing `updated_region` or `version` compares as "" or 0, so an item written by
    something other than the app never beats one stamped at the same instant.
    """
    if stored is None:
        return True
    current = stamp_of(stored)
    return current is None or current < stamp
