"""Every bundled example through the whole sandbox, as CI runs it: one sandbox per example
(`polyregion up --config <example>/... --fast --detach`), shared by its assertions, always
stopped. Up healthy, latency routing per location, a write in one region readable in the
other, `fault dependency R dynamodb down` moving traffic, `polyregion verify` passing, and
`drill region-outage` losing nothing.

The topology is the example's own `polyregion.toml` plus a `[sandbox]` table on free ports and
a private loopback block, written next to it (the app's command runs from the topology file's
directory) under a unique dot-name that is removed afterwards.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from polyregion.topology.load import load
from polyregion.topology.model import Topology
from tests.examples.nextjs import require_built
from tests.sandbox.conftest import (
    RunningSandbox,
    free_sandbox_settings,
    running_sandbox,
    sandbox_table,
    wait_for,
)

pytestmark = pytest.mark.functional

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
EXAMPLES = ("blog", "fastapi-notes", "nextjs-notes")
REGION_HEADERS = ("x-polyregion-region", "x-region")  # as the drills read them (ops.appclient)
SLACK_S = 4.0  # a busy 2-core CI machine; bounds themselves come from the running profile
LAG_BOUND_S = 10.0  # replication in the fast profile delivers in well under a second


@dataclass
class ExampleSandbox:
    name: str
    topology: Topology
    sb: RunningSandbox

    def entry(self, location: str) -> str:
        return str(self.sb.location(location)["entry_url"]).rstrip("/")

    def location_now(self, name: str) -> dict[str, Any]:
        return next(x for x in self.sb.client.status()["locations"] if x["name"] == name)

    def bound(self) -> float:
        return float(self.sb.status["profile"]["kill_bound_s"])


def answered_by(ex: ExampleSandbox, location: str, r: httpx.Response) -> str | None:
    """The region that answered through `location`'s edge: the app's own header when it sets
    one (the blog and the Next.js example do), else the region the sandbox says that edge
    sends to now - as the drills attribute answers (ops/sandbox_target.py)."""
    named = next((r.headers[h] for h in REGION_HEADERS if h in r.headers), None)
    if named is not None:
        return named
    loc = ex.location_now(location)
    return (loc.get("edge") or {}).get("region") or loc.get("region")


def served_by(ex: ExampleSandbox, location: str, path: str) -> str | None:
    """Who served GET `path` through `location` (None on errors and 5xx)."""
    try:
        r = httpx.get(ex.entry(location) + path, timeout=3.0)
    except httpx.HTTPError:
        return None
    return None if r.status_code >= 500 else answered_by(ex, location, r)


def _locations(ex: ExampleSandbox) -> list[dict[str, Any]]:
    return list(ex.sb.client.status()["locations"])


def wait_home(ex: ExampleSandbox, timeout_s: float = 30) -> None:
    """Every region healthy and every location served by its nearest region again."""
    page = ex.topology.drill.read_paths[0]

    def home() -> bool:
        status = ex.sb.client.status()
        healthy = all((r.get("health") or {}).get("healthy") for r in status["regions"])
        return healthy and all(
            served_by(ex, loc["name"], page) == loc["nearest"][0] for loc in status["locations"]
        )

    wait_for(home, timeout_s, step_s=0.2)


@pytest.fixture(scope="module", params=EXAMPLES)
def example(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ExampleSandbox]:
    name: str = request.param
    source = EXAMPLES_DIR / name / "polyregion.toml"
    assert source.exists(), f"{source} is missing"
    if name == "nextjs-notes":
        require_built()
    text = source.read_text()
    assert "[sandbox]" not in text, f"{source}: an example leaves [sandbox] to the user"
    config = source.with_name(f".polyregion-test-{uuid.uuid4().hex[:8]}.toml")
    config.write_text(text + "\n" + sandbox_table(free_sandbox_settings()))
    try:
        with running_sandbox(tmp_path_factory.mktemp(name), config) as sb:
            yield ExampleSandbox(name, load(config), sb)
    finally:
        config.unlink(missing_ok=True)


def test_up_is_healthy_and_each_location_is_served_by_its_nearest_region(
    example: ExampleSandbox,
) -> None:
    status = example.sb.client.status()
    assert status["healthy"] is True and status["phase"] == "running"
    for region in status["regions"]:
        assert region["alive"] is True and region["health"]["healthy"] is True, region
        # The app's own deep health path, straight at the origin (no origin-verify header).
        health = httpx.get(region["origin_url"] + example.topology.health.path, timeout=5)
        assert health.status_code == 200 and health.elapsed.total_seconds() < 2.0, health.text
    locations = status["locations"]
    assert len({loc["nearest"][0] for loc in locations}) >= 2  # routing has a choice to make
    for loc in locations:
        assert loc["region"] == loc["nearest"][0], loc  # the DNS answer for that location
        for path in example.topology.drill.read_paths:
            assert served_by(example, loc["name"], path) == loc["nearest"][0], path


def _write(example: ExampleSandbox, base: str, key: str) -> tuple[httpx.Response, str]:
    """One write through `base` as the drills send it (`[drill.write]`, every example declares
    one; the blog's is its session-less drill write); returns the answer and the read-back
    path, which reads the serving region's own replica."""
    write = example.topology.drill.write
    assert write is not None, f"{example.name} declares no [drill.write]"
    created = httpx.request(
        write.method,
        base + write.path.replace("{id}", key),
        content=write.body.replace("{id}", key).encode(),
        headers={"content-type": write.content_type},
        timeout=5,
    )
    return created, write.read_back.replace("{id}", key)


def test_a_write_through_one_region_is_readable_through_the_other(
    example: ExampleSandbox,
) -> None:
    writer, reader = _locations(example)[:2]
    assert writer["region"] != reader["region"]
    key = f"drill-t{uuid.uuid4().hex[:12]}"  # a drill id, as the apps expect of [drill.write]
    created, read_back = _write(example, example.entry(writer["name"]), key)
    assert 200 <= created.status_code < 300, created.text[:500]
    assert answered_by(example, writer["name"], created) == writer["region"]
    read_url = example.entry(reader["name"]) + read_back
    seen: list[int] = []

    def readable() -> bool:
        r = httpx.get(read_url, timeout=3)
        seen.append(r.status_code)
        return r.status_code == 200 and answered_by(example, reader["name"], r) == reader["region"]

    took = wait_for(readable, LAG_BOUND_S, step_s=0.1)
    print(
        f"{example.name}: written in {writer['region']}, read in {reader['region']} "
        f"after {took:.2f} s (statuses {sorted(set(seen))})"
    )


def test_dynamodb_down_in_a_region_moves_its_users_away_and_back(
    example: ExampleSandbox,
) -> None:
    victim_loc = _locations(example)[-1]
    victim = victim_loc["region"]
    survivor = next(r for r in victim_loc["nearest"] if r != victim)
    page = example.topology.drill.read_paths[0]
    # + the app's health caching and per-check timeout (the contract's 2 s budget)
    limit = example.bound() + 2.0 + SLACK_S
    try:
        down = example.sb.cli("fault", "dependency", victim, "dynamodb", "down")
        assert down.returncode == 0, down.stderr
        moved = wait_for(
            lambda: served_by(example, victim_loc["name"], page) == survivor, limit, step_s=0.1
        )
        region = next(r for r in example.sb.client.status()["regions"] if r["name"] == victim)
        assert region["alive"] is True and region["health"]["healthy"] is False
        health = httpx.get(region["origin_url"] + example.topology.health.path, timeout=5)
        assert health.status_code == 503 and health.elapsed.total_seconds() < 2.0
        print(f"{example.name}: {victim_loc['name']} moved to {survivor} in {moved:.2f} s")
    finally:
        up = example.sb.cli("fault", "dependency", victim, "dynamodb", "up")
        assert up.returncode == 0, up.stderr
    wait_home(example, limit + SLACK_S)


def test_polyregion_verify_passes_every_rule(example: ExampleSandbox) -> None:
    """`polyregion verify` on the running sandbox: the contract, rule by rule (issue 12)."""
    wait_home(example)
    out = example.sb.cli("verify", timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    wait_home(example)


def test_region_outage_drill_loses_no_acknowledged_write(
    example: ExampleSandbox, tmp_path: Path
) -> None:
    wait_home(example)
    started = time.monotonic()
    out = example.sb.cli(
        "drill",
        "region-outage",
        "--json",
        "--max-lost-writes",
        "0",
        "--report",
        str(tmp_path / "report"),
        timeout=300,
    )
    assert out.stdout.strip(), out.stderr[-2000:]
    doc = json.loads(out.stdout)
    print(
        f"{example.name}: drill in {time.monotonic() - started:.1f} s, "
        f"rto {doc['rto_s']} s, writes acked {doc['writes_acked']}, lost {doc['writes_lost']}"
    )
    assert doc["rolled_back"] is True and doc["status"] == "completed", doc.get("error")
    # Every example must prove 0 lost writes: an availability-only drill (no [drill.write])
    # fails here on purpose, naming the missing key.
    assert example.topology.drill.write is not None, (
        f"{example.name} declares no [drill.write]: its drill measured availability only"
    )
    assert doc["writes_acked"] > 0, "the drill acknowledged no write: is [drill.write] driven?"
    assert doc["writes_lost"] == 0
    assert out.returncode == 0, out.stderr[-2000:]
    wait_home(example)
