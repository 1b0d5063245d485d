from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from polyregion.dashboard import create_app
from polyregion.dashboard.app import is_loopback_host
from tests.support.fake_control import FakeSandbox, control_app

STATIC = Path(__file__).parents[2] / "polyregion" / "dashboard" / "static"


@pytest.fixture
def sandbox() -> FakeSandbox:
    return FakeSandbox()


pytestmark = pytest.mark.anyio
Client = httpx.AsyncClient


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def serve(app: Starlette) -> httpx.AsyncClient:
    # httpx's ASGI transport: requests go straight into the app, no socket and no thread.
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:7601"
    )


@pytest.fixture
async def client(sandbox: FakeSandbox) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app("http://control", transport=httpx.ASGITransport(app=control_app(sandbox)))
    async with serve(app) as client:
        yield client
    await app.state.hub.aclose()


async def token(client: Client) -> str:
    page = await client.get("/")
    match = re.search(r'name="polyregion-csrf" content="([^"]+)"', page.text)
    assert match
    return match.group(1)


async def post_fault(client: Client, body: object) -> httpx.Response:
    headers = {"x-polyregion-csrf": await token(client)}
    return await client.post("/api/fault", json=body, headers=headers)


async def test_page_is_self_contained_and_locked_down(client: Client) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert '<base href="/">' in page.text
    # No CDN, no remote anything: every asset is served by the app itself.
    assert not re.search(r"(src|href)=\"(https?:)?//", page.text)
    for asset in ("static/dashboard.js", "static/dashboard.css"):
        assert asset in page.text
        assert (await client.get(f"/{asset}")).status_code == 200


def test_scripts_never_parse_data_as_html() -> None:
    script = (STATIC / "dashboard.js").read_text()
    sinks = re.findall(
        r"\.(?:inner|outer)HTML\b|insertAdjacentHTML|document\.write|\beval\(", script
    )
    assert sinks == []
    assert "textContent" in script


async def test_state_is_the_view_of_the_sandbox(client: Client) -> None:
    view = (await client.get("/api/state")).json()
    assert [r["name"] for r in view["regions"]] == ["us-east-1", "eu-west-1"]
    assert [loc["name"] for loc in view["locations"]] == ["new-york", "paris"]


async def test_a_fault_from_the_page_reaches_the_sandbox(
    client: Client, sandbox: FakeSandbox
) -> None:
    response = await post_fault(client, {"action": "kill", "region": "eu-west-1"})
    assert response.status_code == 200, response.text
    assert response.json()["cli"] == "polyregion fault kill eu-west-1"
    assert sandbox.faults_received == [{"action": "kill", "region": "eu-west-1"}]
    assert sandbox.alive["eu-west-1"] is False


async def test_faults_need_the_page_token(client: Client, sandbox: FakeSandbox) -> None:
    body = {"action": "kill", "region": "eu-west-1"}
    missing = await client.post("/api/fault", json=body)
    wrong = await client.post("/api/fault", json=body, headers={"x-polyregion-csrf": "guess"})
    assert (missing.status_code, wrong.status_code) == (403, 403)
    assert "reload the page" in missing.json()["error"]
    assert sandbox.faults_received == []


async def test_a_form_post_is_refused(client: Client, sandbox: FakeSandbox) -> None:
    response = await client.post(
        "/api/fault",
        content="action=kill&region=eu-west-1",
        headers={
            "x-polyregion-csrf": await token(client),
            "content-type": "application/x-www-form-urlencoded",
        },
    )
    assert response.status_code == 415
    assert sandbox.faults_received == []


async def test_a_page_of_another_site_is_refused_even_with_the_token(
    client: Client, sandbox: FakeSandbox
) -> None:
    """Issue 15, item 5: only the dashboard's own page (its own Origin) drives faults."""
    body = {"action": "kill", "region": "eu-west-1"}
    csrf = {"x-polyregion-csrf": await token(client)}
    foreign = {**csrf, "origin": "http://127.0.0.1:9999"}
    assert (await client.post("/api/fault", json=body, headers=foreign)).status_code == 403
    assert sandbox.faults_received == []
    own = {**csrf, "origin": "http://127.0.0.1:7601"}
    assert (await client.post("/api/fault", json=body, headers=own)).status_code == 200
    assert sandbox.faults_received == [body]


@pytest.mark.parametrize(
    ("body", "cli"),
    [
        ({"action": "revive", "region": "us-east-1"}, "polyregion fault revive us-east-1"),
        (
            {"action": "dependency", "region": "us-east-1", "dependency": "s3", "mode": "slow"},
            "polyregion fault dependency us-east-1 s3 slow",
        ),
        (
            {"action": "partition", "regions": ["us-east-1", "eu-west-1"]},
            "polyregion fault partition us-east-1 eu-west-1",
        ),
        ({"action": "heal"}, "polyregion fault heal"),
    ],
)
async def test_every_control_is_a_cli_command(
    client: Client, sandbox: FakeSandbox, body: dict[str, object], cli: str
) -> None:
    response = await post_fault(client, body)
    assert response.status_code == 200, response.text
    assert response.json()["cli"] == cli
    assert sandbox.faults_received == [body]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"action": "kill", "region": "mars-1"}, "region 'mars-1' is not in the topology"),
        ({"action": "nuke"}, "action 'nuke' is unknown"),
        ({"action": "partition", "regions": ["us-east-1"]}, "two different regions"),
        (
            {"action": "dependency", "region": "us-east-1", "dependency": "sqs", "mode": "down"},
            "dependency 'sqs' is unknown; use one of: dynamodb, s3, secrets",
        ),
    ],
)
async def test_bad_faults_get_a_clear_400(client: Client, body: object, message: str) -> None:
    response = await post_fault(client, body)
    assert response.status_code == 400
    assert message in response.json()["error"]


async def test_invalid_json_is_a_400(client: Client) -> None:
    response = await client.post(
        "/api/fault",
        content="{nope",
        headers={"x-polyregion-csrf": await token(client), "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "the body is not valid JSON"


async def test_an_oversized_body_is_a_413(client: Client, sandbox: FakeSandbox) -> None:
    response = await client.post(
        "/api/fault",
        content='{"action": "heal", "pad": "' + "x" * 20_000 + '"}',
        headers={"x-polyregion-csrf": await token(client), "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert sandbox.faults_received == []


async def test_sandbox_refusal_is_passed_on(client: Client, sandbox: FakeSandbox) -> None:
    # The dashboard only knows the regions the sandbox reports; the sandbox still has the
    # final word (here: the fake refuses a partition it does not know how to apply).
    def refuse(body: dict[str, object]) -> dict[str, object]:
        raise ValueError("partition needs the replicator")

    sandbox.fault = refuse  # type: ignore[method-assign]
    response = await post_fault(
        client, {"action": "partition", "regions": ["us-east-1", "eu-west-1"]}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "sandbox refused: partition needs the replicator"


async def test_sandbox_gone_is_a_502_not_a_500() -> None:
    async def gone(scope, receive, send):  # type: ignore[no-untyped-def]
        raise httpx.ConnectError("refused")

    app = create_app("http://control", transport=httpx.ASGITransport(app=gone))
    async with serve(app) as client:
        assert (await client.get("/api/state")).json()["connected"] is False
        response = await post_fault(client, {"action": "heal"})
    await app.state.hub.aclose()
    assert response.status_code == 502
    assert "is `polyregion up` running?" in response.json()["error"]


async def test_other_hosts_are_refused(client: Client) -> None:
    response = await client.get("/", headers={"host": "evil.example.com"})
    assert response.status_code == 421


@pytest.mark.parametrize(
    ("host", "ok"),
    [
        ("127.0.0.1:7601", True),
        ("localhost", True),
        ("127.5.6.7", True),
        ("[::1]:80", True),
        ("192.0.2.1:7601", False),
        ("localhost.evil.com", False),
        ("", False),
    ],
)
def test_loopback_hosts(host: str, ok: bool) -> None:
    assert is_loopback_host(host) is ok


async def test_mounted_under_a_prefix_uses_relative_urls(sandbox: FakeSandbox) -> None:
    from starlette.routing import Mount

    inner = create_app("http://control", transport=httpx.ASGITransport(app=control_app(sandbox)))
    outer = Starlette(routes=[Mount("/dashboard", app=inner)])
    async with serve(outer) as client:
        page = await client.get("/dashboard/")
        assert '<base href="/dashboard/">' in page.text
        assert (await client.get("/dashboard/static/dashboard.js")).status_code == 200
    await inner.state.hub.aclose()
