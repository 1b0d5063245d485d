"""Assemble the CDK app from a topology, and the deployment plan's stack order.

`cdk` runs `python -m polyregion.infra` (see `__main__.py`), which calls `build_app`; the tests
and `polyregion synth` call it directly, so every path synthesizes the very same stacks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from polyregion.infra import nag
from polyregion.infra.names import stack_names
from polyregion.infra.stacks import AssetsStack, DataStack, EdgeStack, RegionalStack, SecretsStack
from polyregion.infra.static_site import StaticSite
from polyregion.topology.model import Topology


@dataclass
class Stacks:
    data: DataStack
    secrets: SecretsStack
    assets: dict[str, AssetsStack] = field(default_factory=dict)
    regional: dict[str, RegionalStack] = field(default_factory=dict)
    edge: EdgeStack | None = None

    def all(self) -> list[cdk.Stack]:
        out: list[cdk.Stack] = [self.data, self.secrets, *self.assets.values()]
        out += [*self.regional.values()]
        if self.edge is not None:
            out.append(self.edge)
        return out


def build_app(
    topology: Topology,
    *,
    asset_dir: Path,
    static: StaticSite | None = None,
    outdir: Path | None = None,
    checks: bool = True,
) -> tuple[cdk.App, Stacks]:
    """Every stack of the topology in one app; cdk-nag AwsSolutions checks run at synth."""
    app = cdk.App(outdir=str(outdir) if outdir else None)
    names = stack_names(topology)
    stacks = Stacks(
        data=DataStack(app, names["data"], topology=topology),
        secrets=SecretsStack(app, names["secrets"], topology=topology),
    )
    for r in topology.region_names:
        stacks.assets[r] = AssetsStack(
            app, names[f"assets:{r}"], topology=topology, region=r, static=static
        )
    for r in topology.region_names:
        regional = RegionalStack(
            app, names[f"regional:{r}"], topology=topology, region=r, asset_dir=asset_dir
        )
        # Ordering only (no values cross): the app needs its table, secret and bucket.
        for dependency in (stacks.data, stacks.secrets, stacks.assets[r]):
            regional.add_stack_dependency(dependency)
        stacks.regional[r] = regional
    stacks.edge = EdgeStack(app, names["edge"], topology=topology, static=static)
    for regional in stacks.regional.values():
        stacks.edge.add_stack_dependency(regional)
    for stack in stacks.all():
        cdk.Tags.of(stack).add("polyregion:app", topology.name)
    nag.acknowledge(stacks, topology)
    if checks:
        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stacks
