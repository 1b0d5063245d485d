"""SLO gates: limits from the topology's `[slo]`, overridden by flags; a drill fails a gate
when its measured value is over the limit (or could not be measured)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from polyregion.topology.model import Slo


@dataclass(frozen=True, slots=True)
class Gates:
    max_rto_s: float | None = None
    max_rpo_s: float | None = None
    max_lost_writes: int | None = None

    @classmethod
    def resolve(
        cls,
        slo: Slo,
        *,
        max_rto_s: float | None = None,
        max_rpo_s: float | None = None,
        max_lost_writes: int | None = None,
    ) -> Gates:
        """A flag wins over the topology file; None in both means no gate."""
        return cls(
            max_rto_s=max_rto_s if max_rto_s is not None else slo.max_rto_s,
            max_rpo_s=max_rpo_s if max_rpo_s is not None else slo.max_rpo_s,
            max_lost_writes=max_lost_writes if max_lost_writes is not None else slo.max_lost_writes,
        )


def evaluate(
    gates: Gates, *, rto_s: float | None, rpo_s: float | None, writes_lost: int | None
) -> dict[str, Any]:
    """`{"passed": bool, "<gate>": {"limit", "actual", "passed"}}` for each gate that is set.

    An unmeasured value (None: e.g. a location never recovered) fails its gate: a drill
    that cannot show it met the objective did not meet it.
    """
    result: dict[str, Any] = {}
    for name, limit, actual in (
        ("max_rto_s", gates.max_rto_s, rto_s),
        ("max_rpo_s", gates.max_rpo_s, rpo_s),
        ("max_lost_writes", gates.max_lost_writes, writes_lost),
    ):
        if limit is None:
            continue
        passed = actual is not None and actual <= limit
        shown = round(actual, 3) if isinstance(actual, float) else actual
        result[name] = {"limit": limit, "actual": shown, "passed": passed}
    result["passed"] = all(g["passed"] for g in result.values())
    return result
