"""Cross-region plumbing: values and permissions that do not cross regions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from polyregion.lint.graph import concrete
from polyregion.lint.model import Severity
from polyregion.lint.rules.access import reads, replicated
from polyregion.lint.rules.base import Context, Hit, rule


def _imports(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Fn::ImportValue":
                yield item
            else:
                yield from _imports(item)
    elif isinstance(value, list):
        for item in value:
            yield from _imports(item)


@rule(
    "PLUMB1",
    area="plumbing",
    severity=Severity.ERROR,
    title="Fn::ImportValue of an export made in another region",
    fix="Exports are regional: pass the value as a parameter or a deterministic name, or use "
    "CDK's crossRegionReferences (SSM parameters).",
    reference="https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-importvalue.html",
    pack=False,
)
def cross_region_import(ctx: Context) -> Iterator[Hit]:
    exports = ctx.app.exports()
    for resource in ctx.app.resources():
        for imported in _imports(resource.properties):
            name = ctx.app.resolve(resource.stack, imported)
            if not isinstance(name, str):
                ctx.note(resource, "PLUMB1", "import name not resolvable")
                continue
            if (resource.region, name) in exports:
                continue
            elsewhere = [
                s
                for (region, n), (s, _) in exports.items()
                if n == name and region != resource.region
            ]
            if elsewhere and concrete(resource.region):
                source = elsewhere[0]
                yield Hit(
                    resource,
                    f"imports {name!r}, exported by {source.name} in {source.region}; this "
                    f"stack deploys to {resource.region}, where no such export exists, so "
                    "the deployment fails",
                )


@rule(
    "PLUMB2",
    area="plumbing",
    severity=Severity.ERROR,
    title="An IAM grant naming another region's copy of a replicated table or secret",
    fix="Grant the ARN of the replica in the function's own region (build it with "
    "${AWS::Region}), in addition to any cross-region reads the app really makes.",
    reference="https://docs.aws.amazon.com/secretsmanager/latest/userguide/add-regions.html",
    pack=False,
)
def foreign_region_grant(ctx: Context) -> Iterator[Hit]:
    known = replicated(ctx.app)
    for found in reads(ctx.app, known):
        region = found.function.region
        if not concrete(region):
            continue
        for kind, names in (("table", found.tables), ("secret", found.secrets)):
            for name, regions in names.items():
                item = known.get((kind, name))
                named = {r for r in regions if r}
                if item is None or not named or named & {"*", region} or region not in item.regions:
                    continue
                yield Hit(
                    found.function,
                    f"runs in {region} but its role grants {kind} {name} only in "
                    f"{', '.join(sorted(named))}: the ARN includes the region, so every call to "
                    f"the local replica is AccessDenied",
                )
