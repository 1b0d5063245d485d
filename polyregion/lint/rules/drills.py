"""Drill rules: failover exercises that do not fail anything over."""

from __future__ import annotations

import re
from collections.abc import Iterator

from polyregion.lint.model import Severity
from polyregion.lint.rules.base import Context, Hit, rule

UPDATE = re.compile(r"update[-_]health[-_]check|UpdateHealthCheck", re.IGNORECASE)
DISABLE = re.compile(r"--disabled\b|\bDisabled\s*[=:]\s*(True|true)\b|\"Disabled\"\s*:\s*true")
WINDOW = 6  # lines after the call that still belong to it (continuations, keyword arguments)


@rule(
    "DRILL1",
    area="drills",
    severity=Severity.ERROR,
    title="A runbook that disables a health check to fail over",
    fix="Invert the health check (--inverted / Inverted=True) to force traffic away; revert "
    "with --no-inverted. A disabled check counts as healthy.",
    reference="https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-invert.html",
    pack=False,
)
def disable_to_fail_over(ctx: Context) -> Iterator[Hit]:
    for runbook in ctx.runbooks:
        lines = runbook.text.splitlines()
        for number, line in enumerate(lines, start=1):
            if not UPDATE.search(line):
                continue
            window = lines[number - 1 : number - 1 + WINDOW]
            if any(DISABLE.search(w) for w in window):
                yield Hit(
                    None,
                    "disables a health check to fail over: Route 53 treats a disabled check as "
                    "healthy, traffic keeps flowing and the drill passes without failing over",
                    runbook=runbook,
                    line=number,
                )


@rule(
    "DRILL2",
    area="drills",
    severity=Severity.WARNING,
    title="A health check deployed disabled",
    fix="Remove Disabled (or set it false); to take a region out on purpose set Inverted: true.",
    reference="https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html",
    pack=True,
)
def deployed_disabled(ctx: Context) -> Iterator[Hit]:
    for check in ctx.app.resources("AWS::Route53::HealthCheck"):
        config = ctx.app.resolve(check.stack, check.properties.get("HealthCheckConfig"))
        if isinstance(config, dict) and config.get("Disabled") in (True, "true", "True"):
            yield Hit(
                check,
                "health check is disabled: Route 53 considers it always healthy, so its "
                "region keeps receiving traffic while down",
            )
