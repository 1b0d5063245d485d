"""What a drill sends: the topology's `[drill]` (read paths, optional write with read-back).

Any app can be drilled: reads are GETs of `read_paths`; a write is `[drill.write]` with every
literal `{id}` replaced by a fresh drill id, and its read-back proves where it landed. Without
`[drill.write]` a drill measures availability only, and says so.

Drill ids are marked: they all start with `drill-` (ID_PREFIX), then the run id, the location
and a sequence number, so an app can keep them out of what users browse (filter the prefix),
and `cleanup.py` can find and delete them after the report is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from polyregion.topology.model import Topology

ID_PREFIX = "drill-"
PLACEHOLDER = "{id}"
AVAILABILITY_ONLY = (
    "availability only: the topology has no [drill.write], so no write was sent and no lost "
    "write could be counted (docs/drills.md, 'Drills for your app')"
)


class WriteSpec(Protocol):
    """`[drill.write]` (polyregion.topology.model.DrillWrite)."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def read_back(self) -> str: ...


@dataclass(frozen=True, slots=True)
class WriteRequest:
    method: str
    path: str
    body: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class Workload:
    read_paths: tuple[str, ...] = ("/",)
    write: WriteSpec | None = None

    @classmethod
    def of(cls, topology: Topology) -> Workload:
        drill = topology.drill
        return cls(tuple(drill.read_paths) or ("/",), drill.write)

    @property
    def writes(self) -> bool:
        return self.write is not None

    def read_path(self, n: int) -> str:
        """The n-th read of a location: the read paths in turn."""
        return self.read_paths[n % len(self.read_paths)]

    def write_request(self, record_id: str) -> WriteRequest:
        w = self._spec()
        return WriteRequest(
            w.method.upper(),
            w.path.replace(PLACEHOLDER, record_id),
            w.body.replace(PLACEHOLDER, record_id).encode(),
            w.content_type,
        )

    def read_back_path(self, record_id: str) -> str:
        return self._spec().read_back.replace(PLACEHOLDER, record_id)

    def _spec(self) -> WriteSpec:
        if self.write is None:
            raise ValueError("this workload has no [drill.write]")
        return self.write


def run_prefix(run_id: str) -> str:
    """Every record of one drill run starts with this: what cleanup looks for."""
    return f"{ID_PREFIX}{_safe(run_id)}-"


def record_id(run_id: str, location: str, seq: int) -> str:
    """`drill-<run>-<location>-<seq>`: unique per run, location and write; URL- and JSON-safe
    (lower-case letters, digits and `-` only), so it can go anywhere `{id}` appears, and short
    (the location is cut at 24 characters: under 64 in all, a common id limit)."""
    return f"{run_prefix(run_id)}{_safe(location)[:24].strip('-')}-{seq:06d}"


def _safe(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"
