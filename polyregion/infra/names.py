"""Stack names (also the CloudFormation stack names). Resource names live in topology.naming;
these are the deployment units, needed by the plan without importing aws-cdk-lib."""

from __future__ import annotations

from polyregion.topology.model import Topology


def stack_names(topology: Topology) -> dict[str, str]:
    """Logical role -> stack name, in deployment order."""
    n = topology.name
    names = {"data": f"{n}-data", "secrets": f"{n}-secrets"}
    for r in topology.region_names:
        names[f"assets:{r}"] = f"{n}-assets-{r}"
    for r in topology.region_names:
        names[f"regional:{r}"] = f"{n}-regional-{r}"
    names["edge"] = f"{n}-edge"
    return names
