"""The drill report: the JSON contract (also a Chaos Toolkit journal), Markdown, and files.

Contract fields (documented in docs/drills.md; other tools may parse them): `scenario`,
`target`, `rto_s`, `rpo_s`, `requests_total`, `requests_failed`, `writes_acked`,
`writes_lost`, `locations`, `events`, `slo`, `rolled_back`. The Chaos Toolkit keys
(`experiment` with `steady-state-hypothesis`, `method`, `rollbacks`; `status`, `deviated`,
`run`, `rollbacks`) sit next to them in the same object.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

from polyregion.ops.result import DrillResult
from polyregion.ops.workload import AVAILABILITY_ONLY
from polyregion.topology.failover import FORMULA

SCHEMA_VERSION = 1


def _r(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(x, nd)


def to_json(result: DrillResult) -> dict[str, Any]:
    plan, marks = result.plan, result.marks
    t0 = marks.fault if marks.fault is not None else marks.started
    fault = plan.fault
    hypothesis_probes = [
        {
            "type": "probe",
            "name": "all-regions-healthy",
            "tolerance": True,
            "provider": {"type": "python", "module": "polyregion.ops", "func": "observe"},
        },
        {
            "type": "probe",
            "name": "every-location-succeeds",
            "tolerance": {"type": "range", "target": "success_rate", "range": [0.95, 1.0]},
            "provider": {"type": "python", "module": "polyregion.ops", "func": "traffic"},
        },
    ]
    steady_met = result.status != "aborted"
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        # -- the polyregion contract ----------------------------------------------------
        "scenario": plan.scenario.name,
        "target": plan.target,
        "region": fault.region,
        "peer": fault.peer,
        "dependency": fault.dependency,
        "run_id": result.run_id,
        "status": result.status,
        "error": result.error,
        "rto_s": _r(result.rto_s),
        "rpo_s": _r(result.rpo_s),
        "requests_total": result.requests_total,
        "requests_failed": result.requests_failed,
        "writes_measured": result.writes_measured,
        "availability_only": None if result.writes_measured else AVAILABILITY_ONLY,
        "writes_acked": result.writes_acked,
        "writes_lost": result.writes_lost,
        "lost_write_keys": list(result.lost_keys),
        "writes_missing_by_region": dict(result.missing_by_region),
        "writes_missing_at_rollback": dict(marks.missing_at_rollback),
        "divergence_at_rollback": dict(marks.divergence_at_rollback),
        "region_convergence_s": {k: _r(v) for k, v in result.region_convergence_s.items()},
        "bound_s": plan.bound_s,
        "bound": plan.bound_text,
        "bound_formula": FORMULA,
        "fault_at": marks.fault,
        "health_flip_at": result.health_flip_at,
        "t_health_flip_s": None
        if result.health_flip_at is None
        else _r(result.health_flip_at - t0),
        "rollback_at": marks.rollback,
        "t_rollback_s": None if marks.rollback is None else _r(marks.rollback - t0),
        "rollback_s": _r(result.rollback_s),
        "failback_s": _r(result.failback_s),
        "convergence_s": _r(result.convergence_s),
        "started_at": marks.started,
        "ended_at": marks.ended,
        "locations": [loc.as_dict(t0) for loc in result.locations],
        "events": result.events,
        "slo": result.slo,
        "rolled_back": result.rolled_back,
        "plan": {
            "inject": [a.as_dict() for a in plan.actions.inject],
            "rollback": [a.as_dict() for a in plan.actions.rollback],
        },
        # -- Chaos Toolkit journal shape --------------------------------------------------
        "chaoslib-version": None,
        "platform": platform.platform(),
        "node": platform.node(),
        "experiment": {
            "version": "1.0.0",
            "title": f"polyregion {plan.scenario.name} drill on {plan.target}",
            "description": plan.scenario.summary,
            "tags": ["polyregion", plan.scenario.name, plan.target],
            "steady-state-hypothesis": {
                "title": "every region healthy and every location served",
                "probes": hypothesis_probes,
            },
            "method": [_activity(a) for a in plan.actions.inject],
            "rollbacks": [_activity(a) for a in plan.actions.rollback],
        },
        "start": marks.started,
        "end": marks.ended,
        "duration": _r(marks.ended - marks.started),
        "deviated": not result.slo["passed"],
        "steady_states": {
            "before": {"steady_state_met": steady_met, "probes": []},
            "after": {"steady_state_met": marks.failback is not None, "probes": []},
            "during": [],
        },
        "run": [r.as_dict() for r in result.recording.fault_runs],
        "rollbacks": [r.as_dict() for r in result.recording.rollback_runs],
    }
    return doc


def _activity(action: Any) -> dict[str, Any]:
    return {
        "type": "action",
        "name": action.name,
        "provider": {"type": "python", "arguments": dict(action.args)},
        "command": action.command,
    }


def _fmt(x: float | None, unit: str = "s") -> str:
    return "n/a" if x is None else f"{x:.2f}{unit}"


def replication_rows(doc: dict[str, Any]) -> list[tuple[str, int, float | None]]:
    """(`src -> dst`, writes of src that dst lacked at the rollback, when dst held every
    acknowledged write, in seconds after the rollback): the partition drill's result."""
    conv = doc.get("region_convergence_s") or {}
    return [
        (pair, n, conv.get(pair.split(" -> ")[1]))
        for pair, n in sorted((doc.get("divergence_at_rollback") or {}).items())
    ]


def to_markdown(doc: dict[str, Any], chart: str | None = None) -> str:
    verdict = "PASSED" if doc["slo"]["passed"] else "FAILED"
    writes = (
        f"{doc['writes_acked']} / {doc['writes_lost']}"
        if doc.get("writes_measured", True)
        else "not measured (no [drill.write])"
    )
    replication: list[str] = []
    rows = replication_rows(doc)
    if rows:
        replication = [
            "## Replication (divergence at the rollback, convergence after it)",
            "",
            "| from -> to | acknowledged in from, missing in to | to converged after rollback |",
            "| --- | --- | --- |",
            *(f"| {pair} | {n} | {_fmt(conv)} |" for pair, n, conv in rows),
            "",
        ]
    lines = [
        f"# Drill `{doc['scenario']}` on {doc['target']}: {doc['status']}, SLO {verdict}",
        "",
        *([f"**{doc['availability_only']}.**", ""] if doc.get("availability_only") else []),
        f"Victim region: `{doc['region']}`"
        + (f", peer `{doc['peer']}`" if doc["peer"] else "")
        + (f", dependency `{doc['dependency']}`" if doc["dependency"] else "")
        + f". Failover bound ({doc['bound_formula']}): {doc['bound'] or _fmt(doc['bound_s'])}.",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| RTO (overall) | {_fmt(doc['rto_s'])} |",
        f"| RPO | {_fmt(doc['rpo_s'])} |",
        f"| health check flipped | {_fmt(doc['t_health_flip_s'])} after the fault |",
        f"| requests sent / failed | {doc['requests_total']} / {doc['requests_failed']} |",
        f"| writes acknowledged / lost | {writes} |",
        f"| rollback started | {_fmt(doc['t_rollback_s'])} after the fault, "
        f"took {_fmt(doc['rollback_s'])} |",
        f"| failback after rollback | {_fmt(doc['failback_s'])} |",
        f"| replicas converged after rollback | {_fmt(doc['convergence_s'])} |",
        f"| rolled back | {'yes' if doc['rolled_back'] else 'NO'} |",
        "",
        *replication,
        "## Locations (times relative to the fault)",
        "",
        "| location | steady region | final region | first failure | DNS change | edge switch "
        "| recovered | RTO | failed / sent |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for loc in doc["locations"]:
        final = ", ".join(loc["final_regions"]) or "-"
        lines.append(
            f"| {loc['name']} | {loc['baseline_region']} | {final} "
            f"| {_fmt(loc['t_first_failure_s'])} | {_fmt(loc['t_dns_change_s'])} "
            f"| {_fmt(loc['t_edge_change_s'])} "
            f"| {_fmt(loc['t_recovered_s'])} | {_fmt(loc['rto_s'])} "
            f"| {loc['requests_failed']} / {loc['requests_total']} |"
        )
    lines += [
        "",
        "## SLO gates",
        "",
        "| gate | limit | measured | result |",
        "| --- | --- | --- | --- |",
    ]
    if set(doc["slo"]) == {"passed"}:
        lines.append("| (no gate set) | - | - | - |")
    for name, gate in doc["slo"].items():
        if name == "passed":
            continue
        verdict = "pass" if gate["passed"] else "FAIL"
        lines.append(f"| {name} | {gate['limit']} | {gate['actual']} | {verdict} |")
    lines += ["", "## Plan", ""]
    lines += [f"- fault: `{a['command']}`" for a in doc["plan"]["inject"]]
    lines += [f"- rollback: `{a['command']}`" for a in doc["plan"]["rollback"]]
    if doc["error"]:
        lines += ["", f"**Error:** {doc['error']}"]
    if chart:
        lines += ["", f"![timeline]({chart})"]
    lines += ["", "## Events", "", "| t (s) | kind | detail |", "| --- | --- | --- |"]
    t0 = doc["fault_at"] or doc["started_at"]
    for ev in doc["events"]:
        lines.append(f"| {ev['time'] - t0:+.2f} | {ev['kind']} | {ev['detail']} |")
    return "\n".join(lines) + "\n"


def write(result: DrillResult, directory: Path) -> dict[str, Path]:
    """report.json, report.md and the timeline chart into `directory` (created if needed)."""
    from polyregion.ops.chart import timeline

    directory.mkdir(parents=True, exist_ok=True)
    doc = to_json(result)
    chart = timeline(result, directory / "timeline.png")
    paths = {"json": directory / "report.json", "markdown": directory / "report.md", "chart": chart}
    paths["json"].write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    paths["markdown"].write_text(to_markdown(doc, chart.name), encoding="utf-8")
    return paths
