"""`polyregion lint`: multi-region mistakes in anyone's CloudFormation or CDK app.

    from polyregion.lint import lint_paths           # the CLI's engine, as a function
    from polyregion.lint import MultiRegionChecks    # the cdk-nag 3.x pack (needs aws-cdk-lib)

No polyregion topology is needed. Rules: docs/lint-rules.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from polyregion.lint.engine import lint, lint_paths
from polyregion.lint.load import LintInputError
from polyregion.lint.model import Finding, LintResult, Severity

if TYPE_CHECKING:
    from polyregion.lint.pack import MultiRegionChecks

__all__ = [
    "Finding",
    "LintInputError",
    "LintResult",
    "MultiRegionChecks",
    "Severity",
    "lint",
    "lint_paths",
]


def __getattr__(name: str) -> Any:
    # The pack imports aws-cdk-lib and cdk-nag (jsii, Node): only when a CDK app asks for it.
    if name == "MultiRegionChecks":
        from polyregion.lint.pack import MultiRegionChecks

        return MultiRegionChecks
    raise AttributeError(name)
