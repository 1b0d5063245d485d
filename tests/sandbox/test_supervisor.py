"""The whole sandbox, end to end: real processes on loopback, fast profile (NOT AWS timings).

One sandbox for the module (`conftest.sandbox`); every test leaves it healthy again.
"""

from __future__ import annotations

import json
import re
import socket
import struct
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest

from polyregion.sandbox.process import pid_alive
from tests.sandbox.conftest import RunningSandbox, wait_for, write_topology

pytestmark = pytest.mark.functional

SLACK_S = 3.0  # a busy 2-core CI machine; the bound itself is printed in failures


def served_by(entry_url: str, path: str = "/api/health/live", **kw: Any) -> str | None:
    try:
        r = httpx.get(entry_url.rstrip("/") + path, timeout=2.0, **kw)
    except httpx.HTTPError:
        return None
    return r.headers.get("x-polyregion-region") if r.status_code < 500 else None


def dns_region(sb: RunningSandbox, location: str) -> str | None:
    region: str | None = sb.client.status()["locations"][
        [x["name"] for x in sb.status["locations"]].index(location)
    ]["region"]
    return region


def bound(sb: RunningSandbox) -> float:
    return float(sb.status["profile"]["kill_bound_s"])


@pytest.fixture
def route53(sandbox: RunningSandbox) -> Iterator[Any]:
    """boto3 against the sandbox's Route 53 API; every health check flag reset afterwards."""
    client = boto3.client(
        "route53", endpoint_url=sandbox.status["route53_endpoint"], region_name="us-east-1"
    )
    try:
        yield client
    finally:
        for r in sandbox.client.status()["regions"]:
            client.update_health_check(
                HealthCheckId=r["health"]["health_check_id"], Inverted=False, Disabled=False
            )
        sandbox.client.heal()
        for loc in sandbox.status["locations"]:
            wait_for(lambda loc=loc: served_by(loc["entry_url"]) == loc["nearest"][0], 15)


def test_status_contract_and_users_land_on_their_nearest_region(sandbox: RunningSandbox) -> None:
    s = sandbox.client.status()
    assert s["healthy"] is True and s["phase"] == "running"
    assert s["profile"]["aws_faithful"] is False
    assert s["app_hostname"] == "app.example.com" and s["origin_hostname"] == "origin.example.com"
    assert s["tables"] == {
        "global": "sbxtest-data",
        "global_tables": ["sbxtest-data"],
        "regional": ["sbxtest-signin-audit"],
    }
    assert s["replication"] == {} or isinstance(s["replication"], dict)
    assert "dashboard_url" in s
    for r in s["regions"]:
        assert r["alive"] is True and r["health"]["healthy"] is True
        assert set(r["health"]["checkers"]) == {
            "us-east-1",
            "us-west-2",
            "eu-west-1",
            "ap-southeast-1",
        }
        assert r["origin_url"] == f"http://{r['origin_ip']}:{r['origin_port']}"
        assert r["bucket"] == f"sbxtest-assets-{r['name']}"
    assert len({r["origin_port"] for r in s["regions"]}) == 1  # one origin port, as on AWS
    expected = {"new-york": "us-east-1", "paris": "eu-west-1"}
    for loc in s["locations"]:
        assert loc["region"] == expected[loc["name"]]
        assert loc["dns"]["ttl"] == 1
        assert served_by(loc["entry_url"]) == expected[loc["name"]]
    assert any(e["kind"] == "sandbox" and "healthy" in e["message"] for e in s["events"])


def test_edge_caches_static_assets_and_forwards_cookies(sandbox: RunningSandbox) -> None:
    paris = sandbox.location("paris")["entry_url"].rstrip("/")
    with httpx.Client(base_url=paris, timeout=5) as browser:
        page = browser.get("/")
        assert page.headers["x-cache"] == "Miss from cloudfront"
        css = re.search(r'href="(/static/[^"]+\.css)"', page.text)
        assert css, page.text[:500]
        first = browser.get(css.group(1))
        second = browser.get(css.group(1))
        assert first.status_code == 200
        assert first.headers["x-cache"] == "Miss from cloudfront"
        assert second.headers["x-cache"] == "Hit from cloudfront"
        assert "age" in second.headers and second.content == first.content
        # Each edge location has its own cache, as each CloudFront POP does.
        ny = sandbox.location("new-york")["entry_url"].rstrip("/") + css.group(1)
        assert httpx.get(ny, timeout=5).headers["x-cache"] == "Miss from cloudfront"
        # Dynamic: never cached, cookies reach the origin (the session works through the edge).
        signup = browser.post(
            "/api/users", json={"username": "edgeuser", "password": "correct horse battery"}
        )
        assert signup.status_code == 201, signup.text
        assert signup.headers["x-cache"] == "Miss from cloudfront"
        post = browser.post(
            "/api/posts",
            json={"title": "Through the edge", "body": "hello"},
            headers={"x-csrf-token": signup.json()["csrf_token"]},
        )
        assert post.status_code == 201, post.text
        assert post.json()["author"] == "edgeuser"


def test_kill_moves_dns_and_edge_traffic_within_the_bound_and_back(
    sandbox: RunningSandbox,
) -> None:
    paris = sandbox.location("paris")["entry_url"]
    limit = bound(sandbox) + SLACK_S
    try:
        sandbox.client.kill("eu-west-1")
        moved = wait_for(lambda: served_by(paris) == "us-east-1", limit)
        assert dns_region(sandbox, "paris") == "us-east-1"
        assert served_by(sandbox.location("new-york")["entry_url"]) == "us-east-1"
        eu = next(r for r in sandbox.client.status()["regions"] if r["name"] == "eu-west-1")
        assert eu["alive"] is False and eu["faults"]["killed"] is True
        assert eu["health"]["healthy"] is False
        # The monitor reports the edge's switch on its next look (a tick later at most).
        wait_for(
            lambda: (
                {"fault", "health", "dns", "edge"}
                <= {e["kind"] for e in sandbox.client.events(since=0)}
            ),
            2.0,
        )
        print(f"failover after kill: {moved:.2f} s (bound {bound(sandbox):.1f} s)")
    finally:
        sandbox.client.revive("eu-west-1")
    back = wait_for(lambda: served_by(paris) == "eu-west-1", limit)
    print(f"failback after revive: {back:.2f} s")


@pytest.mark.parametrize(("dependency", "mode"), [("dynamodb", "down"), ("secrets", "slow")])
def test_degraded_dependency_fails_health_and_moves_traffic(
    sandbox: RunningSandbox, dependency: str, mode: str
) -> None:
    paris = sandbox.location("paris")["entry_url"]
    # + the app's health result cache (health.cache_s, 1 s) and, when slow, its check timeout
    limit = bound(sandbox) + 2.0 + SLACK_S
    try:
        sandbox.client.dependency("eu-west-1", dependency, mode)
        wait_for(lambda: served_by(paris) == "us-east-1", limit)
        eu = next(r for r in sandbox.client.status()["regions"] if r["name"] == "eu-west-1")
        assert eu["alive"] is True and eu["health"]["healthy"] is False
        assert eu["faults"]["dependencies"][dependency] == mode
        # The region's own deep health says why, within Route 53's 2 s budget.
        health = httpx.get(
            f"{eu['origin_url']}/api/health", headers={"host": "origin.example.com"}, timeout=5
        )
        assert health.status_code == 503 and health.elapsed.total_seconds() < 2.0
        assert health.json()["checks"][dependency]["status"] == "fail"
    finally:
        sandbox.client.dependency("eu-west-1", dependency, "up")
    wait_for(lambda: served_by(paris) == "eu-west-1", limit)


def test_disabled_does_not_fail_over_but_inverted_does_and_sessions_survive(
    sandbox: RunningSandbox, route53: Any
) -> None:
    paris = sandbox.location("paris")["entry_url"].rstrip("/")
    eu = sandbox.region("eu-west-1")["health"]["health_check_id"]
    # The seed article's drill: --disabled. Route 53 then treats the check as healthy.
    route53.update_health_check(HealthCheckId=eu, Disabled=True)
    sandbox.client.kill("eu-west-1")
    with pytest.raises(AssertionError):
        wait_for(lambda: dns_region(sandbox, "paris") == "us-east-1", bound(sandbox) + 1.0)
    assert route53.get_health_check(HealthCheckId=eu)["HealthCheck"]["HealthCheckConfig"][
        "Disabled"
    ]
    sandbox.client.revive("eu-west-1")
    route53.update_health_check(HealthCheckId=eu, Disabled=False)
    wait_for(lambda: served_by(paris) == "eu-west-1", bound(sandbox) + SLACK_S)

    with httpx.Client(base_url=paris, timeout=5) as browser:
        signup = browser.post(
            "/api/users", json={"username": "traveller", "password": "correct horse battery"}
        )
        assert signup.status_code == 201 and signup.json()["region"] == "eu-west-1"
        # The AWS-correct evacuation: Inverted. Traffic leaves eu-west-1 within TTL + slack.
        route53.update_health_check(HealthCheckId=eu, Inverted=True)
        wait_for(lambda: served_by(paris) == "us-east-1", 1.0 + SLACK_S)
        # The session cookie minted in eu-west-1 is valid in us-east-1 (same replicated secret).
        post = browser.post(
            "/api/posts",
            json={"title": "After the switch", "body": "still signed in"},
            headers={"x-csrf-token": signup.json()["csrf_token"]},
        )
        assert post.status_code == 201, post.text
        assert post.json()["region"] == "us-east-1" and post.json()["author"] == "traveller"


def test_all_unhealthy_fails_open_to_the_nearest(sandbox: RunningSandbox, route53: Any) -> None:
    for r in sandbox.status["regions"]:
        route53.update_health_check(HealthCheckId=r["health"]["health_check_id"], Inverted=True)
    wait_for(lambda: all(not r["health"]["healthy"] for r in sandbox.client.status()["regions"]), 5)
    # Nothing healthy: Route 53 answers as if all were healthy, so each gets its nearest.
    wait_for(
        lambda: (
            dns_region(sandbox, "paris") == "eu-west-1"
            and dns_region(sandbox, "new-york") == "us-east-1"
        ),
        2.0,
    )
    assert served_by(sandbox.location("new-york")["entry_url"]) == "us-east-1"


def test_an_origin_refuses_what_bypasses_the_edge_but_keeps_health_open(
    sandbox: RunningSandbox,
) -> None:
    """As behind CloudFront: only the edges know the origin verification value."""
    eu = sandbox.region("eu-west-1")
    host = {"host": "origin.example.com"}
    direct = httpx.get(f"{eu['origin_url']}/api/posts", headers=host, timeout=5)
    assert direct.status_code == 403 and direct.text == "Forbidden"
    forged = httpx.get(
        f"{eu['origin_url']}/api/posts", headers={**host, "x-origin-verify": "guess"}, timeout=5
    )
    assert forged.status_code == 403
    # Route 53's checkers (and the supervisor's readiness wait) send no header.
    assert httpx.get(f"{eu['origin_url']}/api/health", headers=host, timeout=5).status_code == 200
    via_edge = httpx.get(f"{sandbox.location('paris')['entry_url']}api/posts", timeout=5)
    assert via_edge.status_code == 200
    assert via_edge.headers["x-polyregion-region"] == "eu-west-1"
    # The value is in the region's Secrets Manager, and in no log, status or run file.
    sm = boto3.client(
        "secretsmanager",
        endpoint_url=eu["aws_endpoint"],
        region_name="eu-west-1",
        aws_access_key_id="sandbox",
        aws_secret_access_key="sandbox",
    )
    value = sm.get_secret_value(SecretId="sbxtest/origin-verify")["SecretString"]
    assert value not in json.dumps(sandbox.client.status())
    for path in sandbox.run_dir.rglob("*"):
        if path.is_file():
            assert value not in path.read_text(errors="replace"), path


def test_dns_server_survives_malformed_packets(sandbox: RunningSandbox) -> None:
    host, port = sandbox.status["dns"]["host"], sandbox.status["dns"]["port"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for junk in (b"", b"\x00", b"\xff" * 40, bytes(range(256))):
            udp.sendto(junk, (host, port))
    with socket.create_connection((host, port), timeout=2) as tcp:
        tcp.sendall(struct.pack("!H", 300) + b"\x01\x02")  # a length it never completes
    assert served_by(sandbox.location("paris")["entry_url"]) == "eu-west-1"
    assert dns_region(sandbox, "paris") == "eu-west-1"


def test_second_up_and_busy_port_give_clear_errors(sandbox: RunningSandbox, tmp_path: Any) -> None:
    again = sandbox.cli("up", "--fast")
    assert again.returncode == 2
    assert "already running" in again.stderr and "polyregion down" in again.stderr

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        config = write_topology(tmp_path / "busy.toml", control_port=port)
        result = sandbox.cli("up", "--fast", config=config)
    assert result.returncode == 2
    assert f"127.0.0.1:{port}" in result.stderr
    assert "sandbox.control_port" in result.stderr
    assert "Traceback" not in result.stderr


def test_down_leaves_no_process(sandbox: RunningSandbox) -> None:
    run_dir = sandbox.run_dir / f"sandbox-{sandbox.status['control_url'].rsplit(':', 1)[1]}"
    children = json.loads((run_dir / "children.json").read_text())
    supervisor = int((run_dir / "supervisor.pid").read_text())
    assert children and all(pid_alive(p) for p in children.values())
    result = sandbox.cli("down")
    assert result.returncode == 0, result.stderr
    assert not pid_alive(supervisor)
    assert [name for name, pid in children.items() if pid_alive(pid)] == []
    assert sandbox.cli("status").returncode == 2
