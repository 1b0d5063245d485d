"""How the sandbox looks on a terminal: the `up` summary, `status` tables, event lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from polyregion.sandbox.status_types import SandboxStatus


def _clock(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return dt.datetime.fromtimestamp(epoch).strftime("%H:%M:%S.%f")[:-3]


def summary(status: SandboxStatus, extra: Sequence[RenderableType] = ()) -> Group:
    """The status at a glance; `extra`: sections of the layers above (replication's tables)."""
    p = status["profile"]
    # `healthy` only says the sandbox came up; what matters now is each region's health.
    ok = sum(1 for r in status["regions"] if (h := r["health"]) is not None and h["healthy"])
    total = len(status["regions"])
    head = Text.assemble(
        ("polyregion sandbox ", "bold"),
        (status["name"], "bold cyan"),
        f"  {status['phase']}",
        (
            f"  {ok}/{total} regions healthy",
            "green" if ok == total else "yellow" if ok else "red",
        ),
        f"  profile {p['label']}: interval {p['interval_s']:g} s x threshold "
        f"{p['failure_threshold']} + TTL {p['ttl_s']} s",
    )
    regions = Table("region", "origin", "health (checkers)", "faults", title="Regions")
    for column in regions.columns[:2]:
        column.no_wrap = True
    for r in status["regions"]:
        h = r["health"]
        health = "-"
        if h is not None:
            checkers = h["checkers"]
            ok = sum(1 for c in checkers.values() if c["healthy"])
            flags = [
                f for f, on in (("inverted", h["inverted"]), ("disabled", h["disabled"])) if on
            ]
            health = f"{h['status']} {ok}/{len(checkers)}" + "".join(f" {f}" for f in flags)
        faults = r["faults"]
        bad = [f"{d} {m}" for d, m in faults["dependencies"].items() if m != "up"]
        app = r.get("app") or {}
        if faults["killed"] or not r["alive"]:
            code = app.get("exit_code")
            exited = f" (exit {code})" if code is not None else ""
            bad.insert(0, ("killed" if faults["killed"] else "[red]process down[/]") + exited)
        if app.get("origin_open"):
            bad.append("[yellow]origin open[/]")
        regions.add_row(
            r["name"],
            r["origin_url"],
            f"[green]{health}[/]" if h is not None and h["healthy"] else f"[red]{health}[/]",
            ", ".join(bad) or "-",
        )
    locations = Table(
        "location", "browse (entry URL)", "subnet", "DNS answer", "edge uses", title="Locations"
    )
    for column in locations.columns[:3]:
        column.no_wrap = True
    for loc in status["locations"]:
        answer, edge = loc["dns"], loc["edge"]
        locations.add_row(
            loc["name"],
            loc["entry_url"],
            loc["subnet"],
            f"{answer['region'] or '-'} TTL {answer['ttl']}" if answer else "- TTL -",
            (edge["region"] if edge else None) or "-",
        )
    server = status["dns"]
    tail = Text(
        f"DNS: dig @{server['host']} -p {server['port']} {status['origin_hostname']} "
        f"+subnet={status['locations'][0]['subnet'] if status['locations'] else '203.0.113.0/24'}\n"
        # As printed, it runs: the AWS CLI wants a region and some keys (any will do here).
        "Route 53 API: AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws route53 list-health-checks "
        f"--region us-east-1 --endpoint-url {status['route53_endpoint']}\n"
        "AWS endpoints: "
        + ", ".join(f"{r['name']} {r['aws_endpoint']}" for r in status["regions"])
        + (
            f"\nSame signed-in user in every location: browse http://"
            f"{status['app_hostname']}:{status['locations'][0]['entry_url'].rsplit(':', 1)[1]}"
            f" with the PAC file of a location ({status['locations'][0]['pac_url']}, ...)"
            if status["locations"] and status["locations"][0].get("pac_url")
            else ""
        )
        + f"\nControl API: {status['control_url']}/status"
        + (f"   Dashboard: {status['dashboard_url']}" if status.get("dashboard_url") else "")
        + f"\nLogs: {status['logs']}"
        + "".join(
            f"\n  app {r['name']}: {(r.get('app') or {}).get('log')}"
            for r in status["regions"]
            if (r.get("app") or {}).get("log")
        )
        + _data(status)
        + _restarts(status)
    )
    return Group(head, regions, locations, *extra, tail)


def _data(status: SandboxStatus) -> str:
    """Whether this run's data came back from the last `down`, or started empty."""
    data = status.get("data")
    if data is None:
        return ""
    restored = data["restored"]
    if data["mode"] == "restored" and restored is not None:
        return (
            f"\nData: restored from the last run ({restored['items']} items, "
            f"{restored['objects']} objects); `up --fresh` starts empty"
        )
    if data["mode"] == "fresh":
        return "\nData: --fresh, started empty; `down` keeps what you add"
    return "\nData: nothing kept from a previous run; `down` keeps what you add"


def _restarts(status: SandboxStatus) -> str:
    """Children the supervision restarted (none: nothing to say)."""
    restarted = [
        f"{c['name']} {c['restarts']}" for c in status.get("children", []) if c["restarts"]
    ]
    return f"\nRestarts: {', '.join(restarted)}" if restarted else ""


def event_line(event: Mapping[str, Any]) -> Text:
    colour = {
        "fault": "yellow",
        "health": "magenta",
        "dns": "cyan",
        "edge": "blue",
        "process": "red",
    }
    return Text.assemble(
        (_clock(event["time"]), "dim"),
        " ",
        (f"{event['kind']:<8}", colour.get(event["kind"], "bold")),
        " ",
        event.get("message") or "",
    )


def print_events(console: Console, events: Sequence[Mapping[str, Any]]) -> None:
    for e in events:
        console.print(event_line(e), highlight=False)
