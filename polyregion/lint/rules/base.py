"""How a rule is declared and what it yields.

A rule is a function of a `Context` (every stack of the app, resolved through `App`) that yields
`Hit`s. Its metadata (id, severity, fix, AWS reference) lives next to it in the `@rule`
decorator, so docs/lint-rules.md, the JSON/SARIF outputs and the cdk-nag pack all read one
table. `pack=True` marks rules decidable from a single template: they also run inside `cdk
synth` through `MultiRegionChecks`; the others need several stacks (regions, exports) and run in
`polyregion lint` only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from polyregion.lint.graph import App, Resource, Unresolved
from polyregion.lint.model import Note, Runbook, Severity

PACK_NAME = "MultiRegion"  # cdk-nag rule ids read MultiRegion-<ID>


@dataclass(frozen=True, slots=True)
class Hit:
    resource: Resource | None
    message: str
    severity: Severity | None = None  # None: the rule's own severity
    runbook: Runbook | None = None
    line: int | None = None


@dataclass
class Context:
    app: App
    runbooks: list[Runbook] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def note(self, resource: Resource, rule: str, value: Unresolved | str) -> None:
        reason = value.reason if isinstance(value, Unresolved) else value
        self.notes.append(
            Note(resource.stack.name, resource.logical_id, f"{rule} skipped: {reason}")
        )


Check = Callable[[Context], Iterator[Hit]]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    area: str
    severity: Severity
    title: str
    fix: str
    reference: str
    pack: bool
    check: Check

    @property
    def nag_id(self) -> str:
        return f"{PACK_NAME}-{self.id}"


RULES: list[Rule] = []


def rule(
    id: str,
    *,
    area: str,
    severity: Severity,
    title: str,
    fix: str,
    reference: str,
    pack: bool,
) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        RULES.append(Rule(id, area, severity, title, fix, reference, pack, check))
        return check

    return register


def path(value: Any, *keys: str | int) -> Any:
    """value[k1][k2]... or None when any step is missing (templates are user input)."""
    for key in keys:
        if isinstance(key, int):
            value = value[key] if isinstance(value, list) and len(value) > key else None
        else:
            value = value.get(key) if isinstance(value, dict) else None
    return value


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def hostname(name: str) -> str:
    """DNS names compare without case and the root dot."""
    return name.strip().rstrip(".").lower()
