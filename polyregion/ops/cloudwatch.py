"""CloudWatch's own view of replication lag on AWS, and the plan of `polyregion lag --target
aws` as AWS CLI lines (for --dry-run: no call is made)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from polyregion.ops.lag import MARKER_PK
from polyregion.topology import naming
from polyregion.topology.model import Topology


def cloudwatch_latency(
    topology: Topology,
    *,
    minutes: int = 15,
    client_for: Callable[[str], Any] | None = None,
) -> list[dict[str, Any]]:
    """Average and maximum `ReplicationLatency` (ms) per ordered pair over the last minutes.

    The metric lives in the source region, one series per `ReceivingRegion`."""
    import datetime as dt

    if client_for is None:
        import boto3

        session = boto3.session.Session()

        def client_for(region: str) -> Any:
            return session.client("cloudwatch", region_name=region)

    end = dt.datetime.now(dt.UTC)
    rows = []
    for call in _cloudwatch_calls(topology, minutes, end):
        cw = client_for(call["region"])
        out = cw.get_metric_statistics(**call["args"])
        points = out.get("Datapoints", [])
        rows.append(
            {
                "from": call["region"],
                "to": call["receiving"],
                "avg_ms": round(sum(p["Average"] for p in points) / len(points), 1)
                if points
                else None,
                "max_ms": max((p["Maximum"] for p in points), default=None),
            }
        )
    return rows


def _cloudwatch_calls(topology: Topology, minutes: int, end: Any) -> list[dict[str, Any]]:
    import datetime as dt

    table = naming.table(topology, naming.BLOG_TABLE)
    calls = []
    for src in topology.region_names:
        for dst in topology.region_names:
            if src == dst:
                continue
            calls.append(
                {
                    "region": src,
                    "receiving": dst,
                    "args": {
                        "Namespace": "AWS/DynamoDB",
                        "MetricName": "ReplicationLatency",
                        "Dimensions": [
                            {"Name": "TableName", "Value": table},
                            {"Name": "ReceivingRegion", "Value": dst},
                        ],
                        "StartTime": end - dt.timedelta(minutes=minutes),
                        "EndTime": end,
                        "Period": 60,
                        "Statistics": ["Average", "Maximum"],
                    },
                }
            )
    return calls


def aws_plan(topology: Topology, samples: int) -> list[dict[str, str]]:
    """What `polyregion lag --target aws` would call, as AWS CLI lines (no call is made)."""
    import datetime as dt

    table = naming.table(topology, naming.BLOG_TABLE)
    plan = []
    for src in topology.region_names:
        plan.append(
            {
                "command": f"aws dynamodb put-item --region {src} --table-name {table} "
                f'--item \'{{"pk":{{"S":"{MARKER_PK}"}},...}}\'  # x{samples}'
            }
        )
        for dst in topology.region_names:
            if dst != src:
                plan.append(
                    {
                        "command": f"aws dynamodb batch-get-item --region {dst} "
                        f"--request-items '{{\"{table}\":...}}'  # poll until seen"
                    }
                )
    for call in _cloudwatch_calls(topology, 15, dt.datetime.now(dt.UTC)):
        a = call["args"]
        plan.append(
            {
                "command": (
                    f"aws cloudwatch get-metric-statistics --region {call['region']} --namespace "
                    f"{a['Namespace']} --metric-name {a['MetricName']} --dimensions "
                    f"Name=TableName,Value={table} Name=ReceivingRegion,Value={call['receiving']} "
                    "--statistics Average Maximum --period 60 "
                    "--start-time <now-15m> --end-time <now>"
                )
            }
        )
    return plan
