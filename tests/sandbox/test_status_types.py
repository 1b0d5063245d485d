"""The status JSON's types (status_types.py) are the ones its readers and fakes use."""

from __future__ import annotations

import copy
from typing import Any

from polyregion.sandbox.status_types import SandboxStatus
from tests.support.fake_control import FakeSandbox
from tests.support.typed_json import problems


def test_the_fake_control_api_answers_a_typed_status() -> None:
    sandbox = FakeSandbox()
    assert problems(sandbox.status(), SandboxStatus) == []
    sandbox.fault({"action": "kill", "region": sandbox.status()["regions"][0]["name"]})
    assert problems(sandbox.status(), SandboxStatus) == []


def test_the_checker_names_what_does_not_conform() -> None:
    status: Any = copy.deepcopy(FakeSandbox().status())
    del status["children"]
    status["regions"][0]["alive"] = "yes"
    status["locations"][0]["surprise"] = 1
    status["regions"][1]["health"] = None  # allowed: Route 53 not running yet
    assert sorted(problems(status, SandboxStatus)) == [
        "$.children: missing",
        "$.locations[0].surprise: not in LocationJSON",
        "$.regions[0].alive: 'yes' is not bool",
    ]
