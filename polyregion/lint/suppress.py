"""Suppressing a rule on purpose, with a reason a reviewer can read (cdk-nag's convention).

In a template, a resource (or the template itself, for every resource) carries:

    Metadata:
      polyregion_lint:
        rules_to_suppress:
          - id: EDGE1                # or MultiRegion-EDGE1
            reason: Two accounts, one distribution each; the alias moves with AssociateAlias.

cdk-nag's own `cdk_nag.rules_to_suppress` entries for `MultiRegion-*` ids are honoured too, so
a CDK app acknowledging the pack's findings (with write_suppressions_to_cloud_formation) is
quiet in `polyregion lint` as well. A suppression without a reason of at least
MIN_REASON characters suppresses nothing and is itself reported (rule SUPPRESS).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from polyregion.lint.model import Stack
from polyregion.lint.rules.base import PACK_NAME

KEYS = ("polyregion_lint", "cdk_nag")
MIN_REASON = 10  # cdk-nag's own minimum


@dataclass(frozen=True, slots=True)
class Suppression:
    rule: str  # bare id (EDGE1)
    reason: str
    valid: bool


def suppressions(stack: Stack, logical_id: str | None) -> list[Suppression]:
    """Entries on the resource (None: on the template) for this linter's rules."""
    if logical_id is None:
        metadata = stack.template.get("Metadata")
    else:
        body = stack.resources.get(logical_id)
        metadata = body.get("Metadata") if isinstance(body, dict) else None
    found = []
    for key in KEYS:
        block = metadata.get(key) if isinstance(metadata, dict) else None
        entries = block.get("rules_to_suppress") if isinstance(block, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            parsed = _entry(entry, bare_ids=key == KEYS[0])
            if parsed is not None:
                found.append(parsed)
    return found


def _entry(entry: Any, *, bare_ids: bool) -> Suppression | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        return None
    rule_id: str = entry["id"]
    prefix = f"{PACK_NAME}-"
    if not rule_id.startswith(prefix) and not bare_ids:
        return None  # another pack's suppression (AwsSolutions-...)
    reason = entry.get("reason")
    text = reason.strip() if isinstance(reason, str) else ""
    return Suppression(rule_id.removeprefix(prefix).upper(), text, len(text) >= MIN_REASON)
