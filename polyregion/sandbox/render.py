"""How the sandbox looks on a terminal: the `up` summary, `status` tables, event lines."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text


def _clock(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return dt.datetime.fromtimestamp(epoch).strftime("%H:%M:%S.%f")[:-3]


def summary(status: dict[str, Any]) -> Group:
    p = status["profile"]
    # `healthy` only says the sandbox came up; what matters now is each region's health.
    ok = sum(1 for r in status["regions"] if (r.get("health") or {}).get("healthy"))
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
        h = r.get("health") or {}
        checkers = h.get("checkers") or {}
        ok = sum(1 for c in checkers.values() if c.get("healthy"))
        flags = [f for f in ("inverted", "disabled") if h.get(f)]
        health = f"{h.get('status', '?')} {ok}/{len(checkers)}" if h else "-"
        health += "".join(f" {f}" for f in flags)
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
            f"[green]{health}[/]" if h.get("healthy") else f"[red]{health}[/]",
            ", ".join(bad) or "-",
        )
    locations = Table(
        "location", "browse (entry URL)", "subnet", "DNS answer", "edge uses", title="Locations"
    )
    for column in locations.columns[:3]:
        column.no_wrap = True
    for loc in status["locations"]:
        dns = loc.get("dns") or {}
        edge = loc.get("edge") or {}
        locations.add_row(
            loc["name"],
            loc["entry_url"],
            loc["subnet"],
            f"{dns.get('region') or '-'} TTL {dns.get('ttl', '-')}",
            edge.get("region") or "-",
        )
    dns = status["dns"]
    tail = Text(
        f"DNS: dig @{dns['host']} -p {dns['port']} {status['origin_hostname']} "
        f"+subnet={status['locations'][0]['subnet'] if status['locations'] else '203.0.113.0/24'}\n"
        # As printed, it runs: the AWS CLI wants a region and some keys (any will do here).
        "Route 53 API: AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws route53 list-health-checks "
        f"--region us-east-1 --endpoint-url {status['route53_endpoint']}\n"
        "AWS endpoints: "
        + ", ".join(f"{r['name']} {r['aws_endpoint']}" for r in status["regions"])
        + f"\nControl API: {status['control_url']}/status"
        + (f"   Dashboard: {status['dashboard_url']}" if status.get("dashboard_url") else "")
        + f"\nLogs: {status['logs']}"
        + "".join(
            f"\n  app {r['name']}: {(r.get('app') or {}).get('log')}"
            for r in status["regions"]
            if (r.get("app") or {}).get("log")
        )
    )
    parts: list[Any] = [head, regions, locations]
    if (status.get("replication") or {}).get("pairs"):
        from polyregion.replication.render import lag_table, streams_table

        parts.append(lag_table(status["replication"]))
        if status["replication"].get("streams"):
            parts.append(streams_table(status["replication"]))
    return Group(*parts, tail)


def event_line(event: dict[str, Any]) -> Text:
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


def print_events(console: Console, events: list[dict[str, Any]]) -> None:
    for e in events:
        console.print(event_line(e), highlight=False)
