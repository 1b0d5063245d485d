from __future__ import annotations

import pytest

from polyregion.sandbox.faults import Fault, FaultError, parse

REGIONS = ["us-east-1", "eu-west-1"]


def test_parse_each_action() -> None:
    assert parse({"action": "kill", "region": "eu-west-1"}, REGIONS) == Fault("kill", "eu-west-1")
    dep = parse(
        {"action": "dependency", "region": "us-east-1", "dependency": "s3", "mode": "slow"},
        REGIONS,
    )
    assert dep.command == "polyregion fault dependency us-east-1 s3 slow"
    part = parse({"action": "partition", "regions": REGIONS}, REGIONS)
    assert part.regions == tuple(REGIONS)
    assert part.command == "polyregion fault partition us-east-1 eu-west-1"
    assert parse({"action": "heal"}, REGIONS).command == "polyregion fault heal"


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ("kill", "JSON object"),
        ({"action": "explode"}, "explode"),
        ({"action": "kill", "region": "mars-1"}, "us-east-1, eu-west-1"),
        (
            {"action": "dependency", "region": "us-east-1", "dependency": "sqs", "mode": "down"},
            "sqs",
        ),
        (
            {"action": "dependency", "region": "us-east-1", "dependency": "s3", "mode": "flaky"},
            "flaky",
        ),
        ({"action": "partition", "regions": ["us-east-1", "us-east-1"]}, "two different"),
        ({"action": "partition", "regions": ["us-east-1"]}, "two different"),
    ],
)
def test_bad_requests_say_what_to_send(data: object, needle: str) -> None:
    with pytest.raises(FaultError, match=needle):
        parse(data, REGIONS)
