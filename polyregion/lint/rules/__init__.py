"""Every rule, registered by importing its area's module (one module per area)."""

from __future__ import annotations

from polyregion.lint.rules import data, dns, drills, edge, origins, plumbing
from polyregion.lint.rules.base import PACK_NAME, RULES, Context, Hit, Rule

__all__ = ["AREAS", "PACK_NAME", "Context", "Hit", "Rule", "all_rules", "by_id"]
AREAS = ("edge", "origins", "route53", "data", "plumbing", "drills")  # documentation order
_MODULES = (edge, origins, dns, data, plumbing, drills)


def all_rules() -> list[Rule]:
    return sorted(RULES, key=lambda r: (AREAS.index(r.area), r.id))


def by_id(rule_id: str) -> Rule | None:
    """A rule by its id, with or without the cdk-nag pack prefix (EDGE1, MultiRegion-EDGE1)."""
    wanted = rule_id.removeprefix(f"{PACK_NAME}-").upper()
    return next((r for r in RULES if r.id == wanted), None)
