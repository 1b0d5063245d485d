from __future__ import annotations

import pytest

from polyregion.dashboard.faults import FaultInputError, FaultRequest, parse_fault

REGIONS = ("us-east-1", "eu-west-1")


@pytest.mark.parametrize(
    ("body", "cli", "payload"),
    [
        (
            {"action": "kill", "region": "eu-west-1"},
            "polyregion fault kill eu-west-1",
            {"action": "kill", "region": "eu-west-1"},
        ),
        (
            {"action": "revive", "region": "us-east-1", "mode": "ignored"},
            "polyregion fault revive us-east-1",
            {"action": "revive", "region": "us-east-1"},
        ),
        (
            {"action": "dependency", "region": "us-east-1", "dependency": "s3", "mode": "slow"},
            "polyregion fault dependency us-east-1 s3 slow",
            {"action": "dependency", "region": "us-east-1", "dependency": "s3", "mode": "slow"},
        ),
        (
            {"action": "partition", "region": "us-east-1", "other": "eu-west-1"},
            "polyregion fault partition us-east-1 eu-west-1",
            {"action": "partition", "a": "us-east-1", "b": "eu-west-1"},
        ),
        ({"action": "heal", "region": "whatever"}, "polyregion fault heal", {"action": "heal"}),
    ],
)
def test_each_control_is_a_cli_command(
    body: dict[str, str], cli: str, payload: dict[str, str]
) -> None:
    request = parse_fault(body, REGIONS)
    assert request.cli() == cli
    assert request.control_payload() == payload


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "send a JSON object"),
        ({"action": "explode"}, "action = 'explode' is invalid: must be one of kill, revive"),
        ({"action": "kill", "region": "mars-1"}, "region = 'mars-1' is invalid"),
        ({"action": "kill"}, "region = None is invalid"),
        (
            {"action": "dependency", "region": "us-east-1", "dependency": "sqs", "mode": "down"},
            "dependency = 'sqs' is invalid: must be one of dynamodb, s3, secrets",
        ),
        (
            {"action": "dependency", "region": "us-east-1", "dependency": "s3", "mode": "on"},
            "mode = 'on' is invalid: must be one of down, slow, up",
        ),
        (
            {"action": "partition", "region": "us-east-1", "other": "us-east-1"},
            "two different regions",
        ),
    ],
)
def test_bad_requests_say_what_is_wrong(body: object, message: str) -> None:
    with pytest.raises(FaultInputError, match=message.replace("(", r"\(")):
        parse_fault(body, REGIONS)


def test_no_regions_known_says_so() -> None:
    with pytest.raises(FaultInputError, match="is the sandbox running"):
        parse_fault({"action": "kill", "region": "us-east-1"}, ())


def test_request_is_a_value() -> None:
    assert FaultRequest("heal") == FaultRequest("heal")
