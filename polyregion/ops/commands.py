"""`polyregion drill` and `polyregion lag`: prove failover works, and measure replication lag."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from polyregion.errors import PolyregionError
from polyregion.options import ConfigOpt
from polyregion.topology.failover import FORMULA

if TYPE_CHECKING:
    from polyregion.ops.engine import DrillPlan
    from polyregion.ops.result import DrillResult
    from polyregion.ops.target import Target
    from polyregion.topology.model import Topology


class DrillFailed(PolyregionError):
    """The drill ran but failed a gate (or failed): exit 1, distinct from usage errors (2)."""

    exit_code = 1


class DrillInterrupted(PolyregionError):
    """Ctrl-C or SIGTERM during a drill, after the rollback: exit 130 like any interrupted
    command. (A PolyregionError rather than KeyboardInterrupt: typer turns the latter into
    an exit code that the non-standalone CLI entry point would drop.)"""

    exit_code = 130


class TargetName(StrEnum):
    SANDBOX = "sandbox"
    AWS = "aws"


TargetOpt = Annotated[
    TargetName,
    typer.Option(
        "--target", "-t", help="sandbox (the running local sandbox) or aws (your account)."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the JSON report on stdout.")]
EndpointsOpt = Annotated[
    Path | None,
    typer.Option(
        "--aws-endpoints",
        help="aws: a JSON file of endpoint overrides (route53, dns, app_url, regions) to run "
        "the AWS code path against a stand-in such as the sandbox (docs/drills.md).",
    ),
]


def _endpoints(path: Path | None) -> Any:
    from polyregion.ops.aws_endpoints import AwsEndpoints

    return AwsEndpoints.load(path) if path is not None else AwsEndpoints()


class VerifyFailed(PolyregionError):
    """At least one contract rule failed: exit 1 (usage errors stay 2)."""

    exit_code = 1


def register(app: typer.Typer) -> None:
    app.command("drill")(drill)
    app.command("lag")(lag)
    app.command("verify")(verify)


def drill(
    scenario: Annotated[
        str,
        typer.Argument(
            help="region-outage | health-inversion | dependency-failure | partition",
            show_default=False,
        ),
    ],
    target: TargetOpt = TargetName.SANDBOX,
    region: Annotated[
        str | None, typer.Option("--region", "-r", help="Victim region (default: the primary).")
    ] = None,
    peer: Annotated[
        str | None, typer.Option(help="partition: the other side (default: the next region).")
    ] = None,
    dependency: Annotated[
        str, typer.Option(help="dependency-failure: dynamodb, s3 or secrets.")
    ] = "dynamodb",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan of calls; change nothing.")
    ] = False,
    as_json: JsonOpt = False,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Write report.json, report.md and timeline.png here."),
    ] = None,
    max_rto: Annotated[
        float | None, typer.Option("--max-rto", help="Gate: overall RTO in seconds.")
    ] = None,
    max_rpo: Annotated[
        float | None, typer.Option("--max-rpo", help="Gate: RPO in seconds.")
    ] = None,
    max_lost_writes: Annotated[
        int | None, typer.Option("--max-lost-writes", help="Gate: acknowledged writes lost.")
    ] = None,
    health_check_id: Annotated[
        str | None,
        typer.Option(
            help="aws: the victim's Route 53 health check id (default: looked up by tag)."
        ),
    ] = None,
    keep_records: Annotated[
        bool,
        typer.Option(
            "--keep-records",
            help="sandbox: keep the drill's records (default: deleted after the report).",
        ),
    ] = False,
    aws_endpoints: EndpointsOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Run a failover drill and report RTO, RPO, lost writes and SLO gates.

    Steady state, fault, observe, rollback (always), failback. Exit 1 when a gate fails, 2 when
    the system was not healthy to begin with, 130 when interrupted (the fault is rolled back in
    every case).

    Same drill on AWS: --target aws inverts the region's real health check (never --disabled,
    which Route 53 treats as healthy); add --dry-run to see the exact calls first.
    """
    from polyregion.ops import scenarios
    from polyregion.ops.engine import plan_drill
    from polyregion.ops.slo import Gates
    from polyregion.topology.load import load

    topo = load(config)
    sc = scenarios.scenario(scenario)
    fault = scenarios.bind(sc, topo, region=region, peer=peer, dependency=dependency)
    gates = Gates.resolve(
        topo.slo, max_rto_s=max_rto, max_rpo_s=max_rpo, max_lost_writes=max_lost_writes
    )
    tgt = _target(
        target,
        topo,
        fault.region,
        health_check_id,
        dry_run=dry_run,
        config=config,
        endpoints=aws_endpoints,
    )
    try:
        plan = plan_drill(tgt, sc, fault, gates)
        if dry_run:
            _print_plan(plan, as_json)
            return
        result = _run(tgt, plan, quiet=as_json)
    finally:
        tgt.close()
    try:
        _finish(result, as_json=as_json, report=report)
    finally:
        # After the report and the lost-write check, never before: drill records are kept
        # out of the app's data (issue 15) without weakening the count.
        if not keep_records and result.writes_acked:
            _cleanup(tgt, result.run_id)


def _target(
    name: TargetName,
    topo: Topology,
    region: str,
    hc_id: str | None,
    *,
    dry_run: bool,
    config: Path | None,
    endpoints: Path | None = None,
) -> Target:
    if name is TargetName.AWS:
        from polyregion.ops.aws_target import AwsTarget

        ids = {region: hc_id} if hc_id else {}
        return AwsTarget(
            topo, health_check_ids=ids, offline=dry_run, endpoints=_endpoints(endpoints)
        )
    from polyregion.ops.sandbox_control import control_for
    from polyregion.ops.sandbox_target import SandboxTarget

    return SandboxTarget(topo, control_for(topo, start=not dry_run, config=config))


def _cleanup(tgt: Target, run_id: str) -> None:
    cleanup = getattr(tgt, "cleanup", None)
    if cleanup is None:
        return
    try:
        removed = cleanup(run_id)
    except Exception as exc:  # the drill's verdict stands; say what is left
        typer.echo(f"drill records of run {run_id} not removed: {exc}", err=True)
        return
    typer.echo(
        f"removed {removed.total} drill records of run {run_id} (ids drill-{run_id}-...;"
        " --keep-records keeps them)",
        err=True,
    )
    for err in removed.errors:
        typer.echo(f"  not cleaned: {err}", err=True)


def _print_plan(plan: DrillPlan, as_json: bool) -> None:
    actions = plan.actions
    if as_json:
        doc = {
            "scenario": plan.scenario.name,
            "target": plan.target,
            "region": plan.fault.region,
            "dry_run": True,
            "bound_s": plan.bound_s,
            "bound": plan.bound_text,
            "bound_formula": FORMULA,
            "inject": [a.as_dict() for a in actions.inject],
            "rollback": [a.as_dict() for a in actions.rollback],
        }
        typer.echo(json.dumps(doc, indent=2))
        return
    typer.echo(f"# {plan.scenario.name} on {plan.target}: {plan.scenario.summary}")
    typer.echo(f"# failover bound ({FORMULA}): {plan.bound_text}")
    typer.echo("# fault:")
    for a in actions.inject:
        typer.echo(a.command + (f"    # {a.description}" if a.description else ""))
    typer.echo("# rollback (always runs):")
    for a in actions.rollback:
        typer.echo(a.command + (f"    # {a.description}" if a.description else ""))


def _run(tgt: Target, plan: DrillPlan, *, quiet: bool) -> DrillResult:
    from rich.console import Console

    from polyregion.ops.engine import Drill
    from polyregion.ops.model import Event

    console = Console(stderr=True)
    start: list[float] = []

    with console.status(f"drill {plan.scenario.name}: starting", spinner="dots") as status:

        def on_event(ev: Event) -> None:
            if not start:
                start.append(ev.time)
            status.update(f"drill {plan.scenario.name}: {ev.kind} {ev.detail}")
            if not quiet:
                console.print(f"[dim]{ev.time - start[0]:7.2f}s[/] [bold]{ev.kind}[/] {ev.detail}")

        return Drill(tgt, plan, on_event=on_event).run()


def _finish(result: DrillResult, *, as_json: bool, report: Path | None) -> None:
    from polyregion.errors import DrillError
    from polyregion.ops import report as reporting

    doc = reporting.to_json(result)
    if report is not None:
        paths = reporting.write(result, report)
        typer.echo(f"report: {paths['markdown']} ({paths['chart'].name}, report.json)", err=True)
    if as_json:
        typer.echo(json.dumps(doc, indent=2))
    else:
        _summary(doc)
    if result.status == "aborted":
        raise DrillError(f"drill aborted before the fault: {result.error}")
    if result.status == "interrupted":
        state = "the fault was rolled back" if result.rolled_back else "ROLLBACK FAILED"
        raise DrillInterrupted(f"drill interrupted: {state}")
    if result.exit_code:
        failed = [k for k, v in result.slo.items() if k != "passed" and not v["passed"]]
        why = result.error or (f"SLO gate failed: {', '.join(failed)}" if failed else result.status)
        raise DrillFailed(f"drill {result.status}: {why}")


def _summary(doc: dict[str, Any]) -> None:
    from rich.console import Console

    from polyregion.ops.render import drill_summary

    Console().print(drill_summary(doc))


def lag(
    target: TargetOpt = TargetName.SANDBOX,
    samples: Annotated[int, typer.Option(help="Markers per ordered region pair.")] = 20,
    kinds: Annotated[
        str, typer.Option(help="Comma list of what to probe: items, objects, secrets.")
    ] = "items,objects,secrets",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="aws: print the calls (CloudWatch included).")
    ] = False,
    as_json: JsonOpt = False,
    aws_endpoints: EndpointsOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Measure replication lag per ordered region pair (p50/p90/p99/max).

    Writes markers in each region and polls every other region until they appear; on aws, also
    reads CloudWatch ReplicationLatency."""
    from polyregion.ops import cloudwatch
    from polyregion.ops import lag as lagmod
    from polyregion.topology.load import load

    topo = load(config)
    wanted = lagmod.parse_kinds(kinds)
    if target is TargetName.AWS and dry_run:
        plan = cloudwatch.aws_plan(topo, samples)
        typer.echo(json.dumps(plan, indent=2) if as_json else "\n".join(p["command"] for p in plan))
        return
    from polyregion.progress import steps

    with steps("lag", quiet=as_json) as step:
        step(f"connecting to the {target.value}")
        if target is TargetName.AWS:
            endpoints = _endpoints(aws_endpoints)
            probe = lagmod.aws_probe(topo, endpoints=endpoints)
        else:
            from polyregion.ops.sandbox_control import control_for

            probe = lagmod.sandbox_probe(topo, control_for(topo))
        result = lagmod.measure_lag(probe, samples=samples, kinds=wanted, on_step=step)
        if target is TargetName.AWS:
            step("reading CloudWatch ReplicationLatency")
            # CloudWatch's ReplicationLatency exists only on real AWS: a stand-in has none.
            result["cloudwatch"] = cloudwatch.cloudwatch_latency(
                topo, client_for=lambda r: endpoints.client("cloudwatch", r)
            )
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        from rich.console import Console

        from polyregion.ops.render import lag_table

        Console().print(lag_table(result))


def verify(
    region: Annotated[
        str | None,
        typer.Option(
            "--region", "-r", help="Region to fault and write through (default: primary)."
        ),
    ] = None,
    lag_bound: Annotated[
        float, typer.Option("--lag-bound", help="Seconds a write may take to reach every region.")
    ] = 5.0,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Check the running app against the contract, rule by rule (docs/your-app.md).

    Health 200 / 503 within 2 s when its DynamoDB is down or slow, recovery, replication of the
    global tables and buckets it writes, a write readable in every other region, origin-verify
    honoured. Starts the sandbox (fast profile) if none is running. Exit 1 when a rule fails."""
    import httpx

    from polyregion.ops.sandbox_control import control_for
    from polyregion.ops.verify import failed, verifier_for
    from polyregion.topology.load import load

    topo = load(config)
    if region is not None:
        region = topo.region(region).name
    control = control_for(topo, start=True, config=config)
    with httpx.Client(follow_redirects=False) as http:
        verifier = verifier_for(topo, control, http, region=region, lag_bound_s=lag_bound)
        rules = verifier.run()
    if as_json:
        doc = {"passed": not failed(rules), "rules": [r.as_dict() for r in rules]}
        typer.echo(json.dumps(doc, indent=2))
    else:
        from rich.console import Console

        from polyregion.ops.render import verify_table

        Console().print(verify_table(rules))
    bad = failed(rules)
    if bad:
        raise VerifyFailed(f"{len(bad)} rule(s) failed: {', '.join(r.name for r in bad)}")
