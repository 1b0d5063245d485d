"""Last-writer-wins ordering of item versions, and the conditions that enforce it.

A write is ordered by its stamp `(updated_at, updated_region, version)`: the writer's clock in
epoch ms, ties broken by region name, then by the per-item version. Every replica applies a
change only if it is strictly newer than what it holds (a DynamoDB condition expression), so
applying the same change twice, or an older one late, changes nothing: replays are harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from polyregion.topology import naming

# Set by the replicator on an item it is about to delete in a destination, so that the
# MODIFY and REMOVE this causes in that region's stream are recognised as replication, not
# as a local delete to replicate again (DynamoDB global tables 2017 used `aws:rep:deleting`).
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


def older_than(
    stamp: Stamp, *, must_exist: bool = False
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """Condition "the stored item is strictly older than `stamp`" (absent counts unless told).

    Items without `updated_at` (written by something other than the app) count as oldest.
    """
    names = {
        "#pk": naming.PARTITION_KEY,
        "#ua": naming.UPDATED_AT,
        "#ur": naming.UPDATED_REGION,
        "#v": naming.VERSION,
    }
    values = {
        ":at": {"N": str(stamp.at)},
        ":r": {"S": stamp.region},
        ":v": {"N": str(stamp.version)},
    }
    older = (
        "(attribute_not_exists(#ua) OR #ua < :at OR (#ua = :at AND #ur < :r)"
        " OR (#ua = :at AND #ur = :r AND (attribute_not_exists(#v) OR #v < :v)))"
    )
    expr = (
        f"attribute_exists(#pk) AND {older}"
        if must_exist
        else f"attribute_not_exists(#pk) OR {older}"
    )
    return expr, names, values


def same_stamp(stamp: Stamp) -> tuple[str, dict[str, str], dict[str, Any]]:
    """Condition "the stored item is exactly the version stamped `stamp`"."""
    names = {"#ua": naming.UPDATED_AT, "#ur": naming.UPDATED_REGION, "#v": naming.VERSION}
    values = {
        ":at": {"N": str(stamp.at)},
        ":r": {"S": stamp.region},
        ":v": {"N": str(stamp.version)},
    }
    return "#ua = :at AND #ur = :r AND #v = :v", names, values
