"""The lag probe's parsing, statistics and CloudWatch reader (the probe itself runs against
the sandbox in test_drills_sandbox.py)."""

from __future__ import annotations

import pytest

from polyregion.ops import cloudwatch, lag
from polyregion.topology import naming
from polyregion.topology.load import load

DELAY_MS = 300.0


def test_parse_kinds_rejects_unknown_kinds() -> None:
    assert lag.parse_kinds("items, secrets") == ("items", "secrets")
    with pytest.raises(Exception, match="items, objects, secrets"):
        lag.parse_kinds("items,queues")


def test_stats_are_nearest_rank_percentiles_in_ms() -> None:
    out = lag.stats([i / 1000 for i in range(1, 101)])
    assert out == {"n": 100, "p50_ms": 50.0, "p90_ms": 90.0, "p99_ms": 99.0, "max_ms": 100.0}
    assert lag.stats([])["p50_ms"] is None


@pytest.mark.functional
def test_cloudwatch_replication_latency_is_read_per_ordered_pair(moto_url: str) -> None:
    import datetime as dt

    import boto3

    topo = load(None)
    table = naming.table(topo, naming.BLOG_TABLE)

    def client_for(region: str) -> object:
        return boto3.client("cloudwatch", region_name=region, endpoint_url=moto_url)

    cw = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=moto_url)
    # well inside the 15-minute window (a point in the current, partial minute may be left out)
    when = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=3)
    for ms in (120.0, 80.0):
        cw.put_metric_data(
            Namespace="AWS/DynamoDB",
            MetricData=[
                {
                    "MetricName": "ReplicationLatency",
                    "Value": ms,
                    "Unit": "Milliseconds",
                    "Timestamp": when,
                    "Dimensions": [
                        {"Name": "TableName", "Value": table},
                        {"Name": "ReceivingRegion", "Value": "eu-west-1"},
                    ],
                }
            ],
        )
    rows = {
        (r["from"], r["to"]): r for r in cloudwatch.cloudwatch_latency(topo, client_for=client_for)
    }
    assert rows[("us-east-1", "eu-west-1")]["avg_ms"] == 100.0
    assert rows[("us-east-1", "eu-west-1")]["max_ms"] == 120.0
    assert rows[("eu-west-1", "us-east-1")]["avg_ms"] is None  # no data points: shown as such
