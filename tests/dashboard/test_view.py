from __future__ import annotations

import json
from typing import Any

from polyregion.dashboard.history import LagHistory
from polyregion.dashboard.view import build_view, event_time, parse_health
from tests.support.fake_control import FakeSandbox

PLACES = {"new-york": (40.7, -74.0), "paris": (48.9, 2.35)}


def view_of(sandbox: FakeSandbox, **kw: Any) -> dict[str, Any]:
    status = sandbox.status()
    return build_view(
        status,
        events=status["events"],
        history=LagHistory(),
        control_url="http://c",
        coordinates=PLACES,
        **kw,
    )


def test_steady_state_shows_every_region_and_location_healthy() -> None:
    view = view_of(FakeSandbox())
    assert view["connected"] is True
    assert [(r["name"], r["state"]) for r in view["regions"]] == [
        ("us-east-1", "healthy"),
        ("eu-west-1", "healthy"),
    ]
    assert [(loc["name"], loc["region"], loc["route"]) for loc in view["locations"]] == [
        ("new-york", "us-east-1", "ok"),
        ("paris", "eu-west-1", "ok"),
    ]
    assert view["checkers"] == ["eu-west-1", "us-east-1", "us-west-2"]
    paris = view["locations"][1]
    assert (paris["answer_ip"], paris["ttl"]) == ("127.0.2.1", 1)
    assert view["controls"]["regions"] == ["us-east-1", "eu-west-1"]
    # Regions take built-in coordinates, locations the topology's: all are on the map.
    assert all(x["x"] is not None for x in view["regions"] + view["locations"])
    json.dumps(view)  # the stream sends it as is


def test_processes_show_their_restarts_and_a_killed_app_as_held() -> None:
    sandbox = FakeSandbox()
    sandbox.extra["children"] = [
        {"name": "replicator", "pid": 42, "alive": True, "restarts": 2,
         "last_restart_at": 1.0, "held": False, "log": None},
        {"name": "app:eu-west-1", "pid": 43, "alive": False, "restarts": 0,
         "last_restart_at": None, "held": True, "log": None},
    ]  # fmt: skip
    assert view_of(sandbox)["processes"] == [
        {"name": "replicator", "pid": 42, "alive": True, "held": False, "restarts": 2},
        {"name": "app:eu-west-1", "pid": 43, "alive": False, "held": True, "restarts": 0},
    ]


def test_a_killed_region_is_down_and_its_users_move() -> None:
    sandbox = FakeSandbox()
    sandbox.fault({"action": "kill", "region": "eu-west-1"})
    view = view_of(sandbox)
    eu = view["regions"][1]
    assert (eu["state"], eu["alive"], eu["faults"]) == ("down", False, ["killed"])
    assert {c["verdict"] for c in eu["checkers"]} == {"unhealthy"}
    assert eu["checkers"][0]["detail"] == "Failure (3.0 ms)"
    paris = view["locations"][1]
    assert (paris["region"], paris["route"]) == ("us-east-1", "ok")


def test_users_still_sent_to_a_dead_region_are_a_bad_route() -> None:
    sandbox = FakeSandbox()
    sandbox.fault({"action": "kill", "region": "eu-west-1"})
    status = sandbox.status()
    # DNS has moved paris to us-east-1, but its edge still uses the cached answer (TTL).
    status["locations"][1]["edge"] = {"ip": "127.0.2.1", "region": "eu-west-1", "expires_in": 0.4}
    view = build_view(status, events=[], history=LagHistory(), control_url="http://c")
    paris = view["locations"][1]
    assert (paris["region"], paris["edge_region"], paris["traffic_region"]) == (
        "us-east-1",
        "eu-west-1",
        "eu-west-1",
    )
    assert (paris["route"], paris["region_state"]) == ("bad", "down")


def test_a_fault_that_has_not_failed_health_is_degraded() -> None:
    sandbox = FakeSandbox()
    sandbox.fault(
        {"action": "dependency", "region": "us-east-1", "dependency": "s3", "mode": "slow"}
    )
    view = view_of(sandbox)
    assert view["regions"][0]["state"] == "degraded"
    assert view["regions"][0]["faults"] == ["s3 slow"]


def test_events_newest_first_with_readable_details() -> None:
    sandbox = FakeSandbox()
    sandbox.fault({"action": "kill", "region": "eu-west-1"})
    sandbox.events[-1]["detail"] = {"action": "kill", "by": "<script>"}
    view = view_of(sandbox)
    first = view["events"][0]
    assert (first["kind"], first["region"], first["message"]) == (
        "fault",
        "eu-west-1",
        "kill eu-west-1",
    )
    assert first["detail"] == "action kill, by <script>"  # text: the page never parses it as HTML
    assert view["events"][-1]["message"] == "sandbox started"


def test_unreachable_sandbox_keeps_a_readable_view() -> None:
    view = build_view(None, events=[], history=LagHistory(), control_url="http://c", error="down")
    assert (view["connected"], view["error"], view["regions"], view["locations"]) == (
        False,
        "down",
        [],
        [],
    )
    assert view["map"]["land"]


def test_replication_rows_carry_history() -> None:
    sandbox = FakeSandbox()
    history = LagHistory(bucket_s=1)
    from polyregion.dashboard.history import parse_replication

    history.add(10.0, parse_replication(sandbox.replication))
    sandbox.replication["pairs"][1]["backlog"] = 7
    sandbox.replication["partitions"] = [["us-east-1", "eu-west-1"]]
    history.add(11.0, parse_replication(sandbox.replication))
    view = build_view(sandbox.status(), events=[], history=history, control_url="http://c")
    row = view["replication"][0]
    assert (row["source"], row["target"], row["p99_ms"], row["backlog"], row["partitioned"]) == (
        "eu-west-1",
        "us-east-1",
        85.0,
        7,
        True,
    )
    assert row["history"] == [[10.0, 85.0, 0], [11.0, 85.0, 7]]


def test_locations_without_coordinates_stay_off_the_map() -> None:
    status = FakeSandbox().status()
    view = build_view(status, events=[], history=LagHistory(), control_url="http://c")
    assert [loc["x"] for loc in view["locations"]] == [None, None]
    assert all(r["x"] is not None for r in view["regions"])


def test_health_shapes() -> None:
    assert parse_health("healthy") == ("healthy", [])
    assert parse_health(False) == ("unhealthy", [])
    assert parse_health(None) == ("unknown", [])
    overall, checkers = parse_health(
        {
            "status": "unhealthy",
            "checkers": [
                {"checker": "us-west-2", "status": "failure", "detail": "timeout"},
                {"checker": "eu-west-1", "healthy": True},
            ],
        }
    )
    assert overall == "unhealthy"
    assert checkers == [
        {"checker": "eu-west-1", "verdict": "healthy", "detail": ""},
        {"checker": "us-west-2", "verdict": "unhealthy", "detail": "timeout"},
    ]
    _, by_name = parse_health({"healthy": True, "checkers": {"us-east-1": "Success"}})
    assert by_name == [{"checker": "us-east-1", "verdict": "healthy", "detail": "Success"}]


def test_event_time_forms() -> None:
    assert event_time(1_700_000_000.5) == 1_700_000_000.5
    assert event_time(1_700_000_000_500) == 1_700_000_000.5
    assert event_time("2023-11-14T22:13:20Z") == 1_700_000_000.0
    assert event_time("yesterday") is None
    assert event_time(True) is None


def test_profile_in_one_line() -> None:
    view = build_view(
        {
            "profile": {
                "name": "fast",
                "label": "fast (not AWS values)",
                "interval_s": 1.0,
                "failure_threshold": 2,
                "ttl_s": 1,
                "failover_bound_s": 5.5,
            }
        },
        events=[],
        history=LagHistory(),
        control_url="http://c",
    )
    assert view["profile"] == (
        "fast (not AWS values) · checks every 1 s · threshold 2 · TTL 1 s · failover bound 5.5 s"
    )


def test_profile_shows_the_one_failover_formula_with_its_values() -> None:
    from polyregion.sandbox.profile import FAST, to_json

    view = build_view(
        {"profile": to_json(FAST)}, events=[], history=LagHistory(), control_url="http://c"
    )
    assert view["profile"].endswith(
        "failover bound (interval x threshold + probe timeout + TTL) 1 s x 2 + 2.5 s + 1 s = 5.5 s"
    )


def test_an_expired_edge_answer_follows_dns() -> None:
    sandbox = FakeSandbox()
    sandbox.fault({"action": "kill", "region": "eu-west-1"})
    status = sandbox.status()
    # The edge last resolved before the kill, but its answer has expired: the next request
    # through it resolves again and gets the survivor.
    status["locations"][1]["edge"] = {"ip": "127.0.2.1", "region": "eu-west-1", "expires_in": -3}
    view = build_view(status, events=[], history=LagHistory(), control_url="http://c")
    paris = view["locations"][1]
    assert (paris["edge_region"], paris["traffic_region"], paris["route"]) == (
        None,
        "us-east-1",
        "ok",
    )
