"""`verify`'s rules against a fake sandbox and fake apps: a good app passes every rule, and each
broken app fails exactly the rule it breaks (the functional tests run real apps in a sandbox)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import httpx
import pytest
from rich.console import Console

from polyregion.data.clients import RegionClients
from polyregion.ops.render import verify_table
from polyregion.ops.verify import Resource, Rule, Verifier, failed
from polyregion.ops.workload import Workload
from tests.ops.test_workload import Write
from tests.support.moto import FAKE_CREDENTIALS

REGIONS = ("us-east-1", "eu-west-1")
SECRET = "s3cret"


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, dt: float) -> None:
        self.now += dt


@dataclass
class FakeApp:
    """The app in both regions, behind MockTransport; `flaws` says how it breaks the contract."""

    clock: Clock
    flaws: set[str] = field(default_factory=set)
    dependency: dict[str, str] = field(default_factory=dict)  # region -> down/slow/up
    notes: dict[str, set[str]] = field(default_factory=lambda: {r: set() for r in REGIONS})

    def handle(self, request: httpx.Request) -> httpx.Response:
        region = "us-east-1" if request.url.host == "127.0.1.1" else "eu-west-1"
        path = request.url.path
        if path == "/api/health":
            mode = self.dependency.get(region, "up")
            if mode == "slow" and "slow-health" in self.flaws:
                self.clock.now += 3.0  # waits on the hung dependency without a timeout
                return httpx.Response(503)
            if "always-200" in self.flaws or mode == "up":
                return httpx.Response(200)
            return httpx.Response(503)
        if "open-origin" not in self.flaws and request.headers.get("x-origin-verify") != SECRET:
            return httpx.Response(403)
        if request.method == "POST":
            rid = json.loads(request.content)["id"]
            for r in REGIONS if "no-replication" not in self.flaws else (region,):
                self.notes[r].add(rid)
            return httpx.Response(201)
        if path.startswith("/api/notes/"):
            return httpx.Response(200 if path.rsplit("/", 1)[1] in self.notes[region] else 404)
        return httpx.Response(200)


class FakeControl:
    def __init__(self, app: FakeApp) -> None:
        self.app = app
        self.faults: list[tuple[str, dict[str, Any]]] = []

    def status(self) -> dict[str, Any]:
        return {
            "regions": [
                {"name": r, "origin_url": f"http://127.0.{i + 1}.1:8000/"}
                for i, r in enumerate(REGIONS)
            ]
        }

    def fault(self, action: str, **args: Any) -> None:
        self.faults.append((action, args))
        self.app.dependency[args["region"]] = args["mode"]


def verifier(app: FakeApp, workload: Workload | None = None, **kw: Any) -> Verifier:
    http = httpx.Client(transport=httpx.MockTransport(app.handle))
    return Verifier(
        control=FakeControl(app),
        http=http,
        health_path="/api/health",
        workload=workload or Workload(("/",)),
        resources=(Resource("table", "notes", "global", dict.fromkeys(REGIONS, "notes-notes")),),
        clients={},
        app_name="notes",
        verify_header="x-origin-verify",
        verify_value=SECRET,
        region="us-east-1",
        clock=app.clock,
        sleep=app.clock.sleep,
        **kw,
    )


def verdicts(rules: list[Rule]) -> dict[str, str]:
    return {r.name: r.verdict for r in rules}


def test_a_good_app_passes_and_writes_are_skipped_without_drill_write() -> None:
    app = FakeApp(Clock())
    v = verifier(app)
    rules = v.run()
    assert verdicts(rules) == {
        "health": "pass",
        "health-degraded-down": "pass",
        "health-degraded-slow": "pass",
        "recovery": "pass",
        "replication": "skip",
        "cross-region-read": "skip",
        "origin-verify": "pass",
    }
    assert failed(rules) == []
    # every injected fault was healed
    assert [a["mode"] for _, a in v.control.faults] == ["down", "up", "slow", "up"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("flaw", "rules"),
    [
        ("always-200", {"health-degraded-down", "health-degraded-slow"}),
        ("slow-health", {"health-degraded-slow"}),
        ("open-origin", {"origin-verify"}),
    ],
)
def test_a_broken_app_fails_the_rule_it_breaks_with_the_fix(flaw: str, rules: set[str]) -> None:
    app = FakeApp(Clock(), flaws={flaw})
    out = verifier(app).run()
    assert {r.name for r in failed(out)} == rules
    assert all(r.fix for r in failed(out))
    text = Console(width=100, record=True)
    text.print(verify_table(out))
    shown = text.export_text()
    for name in rules:
        assert f"fix {name}:" in shown


@pytest.fixture
def table() -> str:
    return f"notes-{secrets.token_hex(4)}"  # the moto server is shared by the session


@pytest.fixture
def clients(moto_url: str, table: str) -> Iterator[dict[str, RegionClients]]:
    session = boto3.session.Session(**{k.lower(): v for k, v in FAKE_CREDENTIALS.items()})
    out = {r: RegionClients(r, moto_url, session=session) for r in REGIONS}
    for c in out.values():
        c.dynamodb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    yield out


@pytest.mark.functional
@pytest.mark.parametrize("replicates", [True, False])
def test_writes_must_replicate_and_read_back_in_every_region(
    clients: dict[str, RegionClients], table: str, replicates: bool
) -> None:
    app = FakeApp(Clock(), flaws=set() if replicates else {"no-replication"})

    # the fake app stores in its table in the regions it "replicates" to
    original = app.handle

    def handle(request: httpx.Request) -> httpx.Response:
        resp = original(request)
        if request.method == "POST" and resp.status_code == 201:
            rid = json.loads(request.content)["id"]
            for r in app.notes:
                if rid in app.notes[r]:
                    clients[r].dynamodb.put_item(TableName=table, Item={"id": {"S": rid}})
        return resp

    app.handle = handle  # type: ignore[method-assign]
    v = verifier(app, Workload(("/",), Write()))
    v.clients = clients
    v.resources = (Resource("table", "notes", "global", dict.fromkeys(REGIONS, table)),)
    v.check_writes()
    got = verdicts(v.rules)
    expected = "pass" if replicates else "fail"
    assert got == {"replication": expected, "cross-region-read": expected}
    # the verification's own record is removed afterwards, in every region
    for c in clients.values():
        assert c.dynamodb.scan(TableName=table)["Count"] == 0
