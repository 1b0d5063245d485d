"""Deploy and destroy as a plan: a list of CDK CLI calls, printed by `--dry-run`, run otherwise.

Order matters because the stacks share no CloudFormation references (stacks.py):

1. bootstrap every region (CDK's asset buckets and roles; idempotent);
2. the assets stacks: every region's bucket exists before any replication rule names it
   (a first deploy takes the `Replication=disabled` default; later deploys keep the previous
   parameter values);
3. data and secrets in the primary (global table and secret with their replicas);
4. the regional stacks (Lambda, API, certificates, health checks, latency records);
5. the edge stack in us-east-1, writing its outputs (the distribution id);
6. the assets stacks again with `Replication=enabled` and `DistributionId=<from step 5>`.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from polyregion.errors import ConfigError, PolyregionError
from polyregion.topology.model import Topology

DISTRIBUTION_PLACEHOLDER: Final = "{edge.DistributionId}"
EDGE_OUTPUTS: Final = "edge-outputs.json"
UNKNOWN_ACCOUNT: Final = "unknown-account"


class DeployError(PolyregionError):
    """A CDK CLI step failed (its exit code and command are in the message)."""


@dataclass(frozen=True, slots=True)
class Step:
    title: str
    argv: tuple[str, ...]

    def render(self) -> str:
        return shlex.join(self.argv)


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[Step, ...]
    notes: tuple[str, ...] = field(default=())


def cdk_command() -> list[str]:
    """An installed `cdk`, else the CLI through npx (downloads it once)."""
    if shutil.which("cdk"):
        return ["cdk"]
    return ["npx", "--yes", "aws-cdk@2"]


def app_command(python: str, config: Path | None, asset: Path | None) -> str:
    """The `--app` the CDK CLI runs. Deploy pins the built asset (a missing build fails
    loudly); destroy needs none (the source-only stand-in synthesizes the same stacks)."""
    cmd = [python, "-m", "polyregion.infra"]
    if asset is not None:
        cmd += ["--asset", str(asset)]
    if config is not None:
        cmd += ["--config", str(config)]
    return shlex.join(cmd)


def _names(topology: Topology) -> dict[str, str]:
    from polyregion.infra.names import stack_names

    return stack_names(topology)


def deploy_plan(
    topology: Topology,
    *,
    app: str,
    out: Path,
    cdk: Sequence[str],
    approve: bool = False,
) -> Plan:
    names = _names(topology)
    base = [*cdk]
    common = ["--app", app, "--output", str(out)]
    deploy = [*base, "deploy", *common, "--exclusively"]
    if approve:
        deploy += ["--require-approval", "never"]
    assets = [names[f"assets:{r}"] for r in topology.region_names]
    regional = [names[f"regional:{r}"] for r in topology.region_names]
    # The CDK CLI resolves the literal `unknown-account` to the credentials' account; anything
    # else that is not a 12-digit id is refused (aws-cdk: environments from descriptors).
    account = topology.aws.account or UNKNOWN_ACCOUNT
    regions = sorted({*topology.region_names, "us-east-1"})
    outputs = out / EDGE_OUTPUTS
    params: list[str] = []
    for stack in assets:
        params += [
            "--parameters", f"{stack}:Replication=enabled",
            "--parameters", f"{stack}:DistributionId={DISTRIBUTION_PLACEHOLDER}",
        ]  # fmt: skip
    steps = [
        Step(
            "bootstrap CDK in every region used",
            (*base, "bootstrap", *[f"aws://{account}/{r}" for r in regions]),
        ),
        Step("buckets in every region (replication off on a first deploy)", (*deploy, *assets)),
        Step(
            f"global table, session and origin verification secrets in {topology.primary.name}",
            (*deploy, names["data"], names["secrets"]),
        ),
        Step(
            "regional stacks: Lambda, HTTP API origin, health checks, records", (*deploy, *regional)
        ),
        Step(
            "the one CloudFront distribution and app alias (us-east-1)",
            (*deploy, names["edge"], "--outputs-file", str(outputs)),
        ),
        Step(
            "replication on; only our distribution may read static files",
            (*deploy, *assets, *params),
        ),
    ]
    notes = []
    if topology.aws.hosted_zone_id is None:
        notes.append(
            "aws.hosted_zone_id is not set: the stacks use a placeholder zone; set it in the "
            "topology file before deploying"
        )
    return Plan(tuple(steps), tuple(notes))


def destroy_plan(topology: Topology, *, app: str, out: Path, cdk: Sequence[str]) -> Plan:
    names = _names(topology)
    destroy = [*cdk, "destroy", "--app", app, "--output", str(out), "--exclusively", "--force"]
    order = [names["edge"], *[names[f"regional:{r}"] for r in topology.region_names]]
    order += [names[f"assets:{r}"] for r in topology.region_names]
    order += [names["secrets"], names["data"]]
    steps = tuple(Step(f"destroy {name}", (*destroy, name)) for name in order)
    notes = (
        "retained on purpose (delete by hand if you mean it): the global and regional tables "
        "(deletion protection), the buckets (versioned objects), the session and origin "
        "verification secrets",
    )
    return Plan(steps, notes)


def execute(
    plan: Plan,
    *,
    out: Path,
    echo: Callable[[str], None],
    run: Callable[[Sequence[str]], int] = lambda argv: subprocess.call(list(argv)),
) -> None:
    """Run each step; the distribution id is read from the edge step's outputs file."""
    for i, step in enumerate(plan.steps, start=1):
        argv = list(step.argv)
        if any(DISTRIBUTION_PLACEHOLDER in a for a in argv):
            distribution = _distribution_id(out / EDGE_OUTPUTS)
            argv = [a.replace(DISTRIBUTION_PLACEHOLDER, distribution) for a in argv]
        echo(f"[{i}/{len(plan.steps)}] {step.title}\n    $ {shlex.join(argv)}")
        code = run(argv)
        if code != 0:
            raise DeployError(f"step {i} ({step.title}) failed with exit code {code}")


def _distribution_id(path: Path) -> str:
    try:
        outputs = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        raise ConfigError(
            "edge outputs", str(path), "deploy the edge stack first (it writes this file)"
        ) from None
    for values in outputs.values():
        if isinstance(values, dict) and "DistributionId" in values:
            return str(values["DistributionId"])
    raise ConfigError("edge outputs", str(path), "no DistributionId output found")
