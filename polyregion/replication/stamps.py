"""Last-writer-wins ordering of item versions, and the conditions that enforce it.

A write is ordered by its stamp `(at, region, version)`: a clock in epoch ms, ties broken by
region name, then by a per-item version. Where the stamp comes from:

- An app that stamps its items (the bundled blog: `updated_at`, `updated_region`, `version`)
  orders them itself, with its own clock.
- Any other item (an app that writes plain items, with any key schema) is stamped by the
  region's endpoint when the write enters the stream: the stream record's time, the region,
  and the record's sequence number, never before the version it overwrote (replica_writes.py
  keeps these stamps per key outside the item and puts them in the stream record as
  `RECORD_STAMP`, where the replicator reads them). The app's items are never modified.

Every replica applies a
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

# Carried by the image of every stream record a region's endpoint stamps (a local write: the
# write's stamp; a replicated write: `REPLICA`, its stamp, so the replicator knows its own
# echo). Added to stream records only, never to items.
RECORD_STAMP: Final = "pr:rep:stamp"
REPLICA: Final = "pr:rep:replica"
RECORD_ONLY: Final = frozenset({DELETING, RECORD_STAMP, REPLICA})

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


def record_stamp(image: Image | None, name: str = RECORD_STAMP) -> Stamp | None:
    """The stamp an endpoint put in a stream record's image (RECORD_STAMP or REPLICA)."""
    raw = (image or {}).get(name, {}).get("S")
    try:
        return Stamp.decode(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def item_image(image: Image) -> Image:
    """The item of a stream record image, without what endpoints add to records only."""
    return {k: v for k, v in image.items() if k not in RECORD_ONLY}


def key_of(
    image: Image, attributes: tuple[str, ...] = (naming.PARTITION_KEY, naming.SORT_KEY)
) -> dict[str, Any]:
    """The key of an item, given the table's key attribute names."""
    return {k: image[k] for k in attributes if k in image}


def key_id(key: dict[str, Any]) -> str:
    """A stable string for an item key of any schema (tombstones are kept in a JSON file)."""
    return "\x1f".join(f"{k}={next(iter(key[k].values()))}" for k in sorted(key))


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
