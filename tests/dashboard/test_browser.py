"""The dashboard in headless Chromium against a real sandbox (`polyregion up --fast`).

Debian's `chromium` driven by Playwright's Python package (its bundled driver, never
`playwright install`). One sandbox and one browser for the module; both always stopped.
Screenshots go to the test's tmp dir (path printed), and also to $POLYREGION_SCREENSHOTS when
set (that is how docs/img/dashboard.png was made).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from polyregion.sandbox.client import SandboxClient
from polyregion.topology import load
from tests.support.moto import free_port

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SLACK_S = 5.0  # a busy 2-core machine; the profile's own bound is added on top
SHOW_S = 5.0  # "reflects a fault within a few seconds": poll 0.5 s + stream + render


@dataclass
class Sandbox:
    config: Path
    env: dict[str, str]
    client: SandboxClient
    status: dict[str, Any]

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "polyregion.cli", *args, "--config", str(self.config)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    @property
    def kill_bound_s(self) -> float:
        return float(self.status["profile"]["kill_bound_s"])


def _topology(path: Path) -> Path:
    """Free ports and a loopback block of its own: never collides with a running sandbox."""
    rng = random.Random()
    for _ in range(200):
        prefix, base = f"127.{rng.randrange(100, 250, 2)}", rng.randrange(20000, 60000)
        second = int(prefix.split(".")[1])
        hosts = [f"{prefix}.{i}.1" for i in (1, 2)] + [f"127.{second + 1}.{i}.1" for i in (1, 2)]
        if all(_free(h, p) for h in [*hosts, "127.0.0.1"] for p in range(base, base + 6)):
            break
    settings = {
        "base_port": base,
        "control_port": free_port(),
        "dns_port": free_port(),
        "loopback_prefix": prefix,
    }
    lines = ['[app]\nname = "dashtest"\n', "[sandbox]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def _free(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed: run `make browser-deps`")
    tmp = tmp_path_factory.mktemp("dashboard-sandbox")
    config = _topology(tmp / "polyregion.toml")
    env = {**os.environ, "POLYREGION_RUN_DIR": str(tmp / "run")}
    env.pop("POLYREGION_CONFIG", None)
    client = SandboxClient.for_topology(load(config))
    running = Sandbox(config, env, client, {})
    try:
        started = running.cli("up", "--fast", "--detach")
        assert started.returncode == 0, started.stderr + started.stdout
        assert "Dashboard: http://127.0.0.1:" in started.stdout  # printed at start
        running.status = client.status()
        yield running
    finally:
        stopped = running.cli("down")
        client.close()
        assert stopped.returncode == 0, stopped.stderr


@pytest.fixture(scope="module")
def page(sandbox: Sandbox) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(sandbox.status["dashboard_url"])
            yield page
            assert errors == [], f"JavaScript errors on the page: {errors}"
        finally:
            browser.close()


def screenshot(page: Any, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    if target := os.environ.get("POLYREGION_SCREENSHOTS"):
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / name)
    return path


def test_status_points_at_the_dashboard(sandbox: Sandbox) -> None:
    url = sandbox.status["dashboard_url"]
    assert url.startswith("http://127.0.0.1:") and url.endswith("/")


def write_posts(entry_url: str, count: int) -> None:
    """Writes as a user of that location (docs/app.md), so the lag panel has something to show.

    Nothing here asserts replication timing: the replicator's own tests own that.
    """
    import httpx

    with httpx.Client(base_url=entry_url, timeout=10, trust_env=False) as http:
        user = http.post("/api/users", json={"username": "dashviewer", "password": "a" * 12})
        assert user.status_code == 201, user.text
        for i in range(count):
            post = http.post(
                "/api/posts",
                json={"title": f"dashboard {i}", "body": "replicate me"},
                headers={"x-csrf-token": user.json()["csrf_token"]},
            )
            assert post.status_code == 201, post.text


def test_every_region_and_location_is_shown(sandbox: Sandbox, page: Any) -> None:
    from playwright.sync_api import expect

    write_posts(sandbox.status["locations"][0]["entry_url"], 3)
    expect(page.locator("#connection-text")).to_have_text("live", timeout=10_000)
    for region in sandbox.status["regions"]:
        name = region["name"]
        on_map = page.locator(f'#map g.region[data-region="{name}"]')
        expect(on_map).to_have_attribute("data-state", "healthy")
        expect(on_map).to_contain_text(name)
        expect(page.locator(f'#health-table tr[data-region="{name}"]')).to_contain_text("✓ healthy")
    for loc in sandbox.status["locations"]:
        name, nearest = loc["name"], loc["nearest"][0]
        on_map = page.locator(f'#map g.location[data-location="{name}"]')
        expect(on_map).to_contain_text(f"→ {nearest}")
        row = page.locator(f'#dns-table tr[data-location="{name}"]')
        expect(row).to_contain_text(loc["dns"]["ip"])
        expect(row).to_contain_text(f"{loc['dns']['ttl']} s")
    names = [r["name"] for r in sandbox.status["regions"]]
    for a, b in ((x, y) for x in names for y in names if x != y):
        expect(page.locator(f'#replication [data-pair="{a}->{b}"]')).to_contain_text(f"{a} → {b}")
    expect(page.locator("#fault-cli")).to_have_text(f"polyregion fault kill {names[0]}")


def test_a_partition_shows_on_both_directions_until_healed(sandbox: Sandbox, page: Any) -> None:
    from playwright.sync_api import expect

    a, b = (r["name"] for r in sandbox.status["regions"])
    pairs = page.locator("#replication .pair")
    assert sandbox.cli("fault", "partition", a, b).returncode == 0
    for pair in (f"{a}->{b}", f"{b}->{a}"):
        expect(page.locator(f'#replication [data-pair="{pair}"]')).to_contain_text(
            "✗ partitioned", timeout=SHOW_S * 1000
        )
    expect(page.locator("#timeline")).to_contain_text(f"replication partitioned: {a} <-> {b}")
    assert sandbox.cli("fault", "heal").returncode == 0
    expect(pairs.filter(has_text="partitioned")).to_have_count(0, timeout=SHOW_S * 1000)


def test_a_cli_kill_shows_within_seconds_and_users_fail_over(
    sandbox: Sandbox, page: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    paris = next(loc for loc in sandbox.status["locations"] if loc["name"] == "paris")
    victim, survivor = paris["nearest"][0], paris["nearest"][1]
    started = time.monotonic()
    killed = sandbox.cli("fault", "kill", victim)
    assert killed.returncode == 0, killed.stderr
    applied = time.monotonic()  # the CLI returns once the origin is dead
    region = page.locator(f'#map g.region[data-region="{victim}"]')
    expect(region).to_have_attribute("data-state", "down", timeout=SHOW_S * 1000)
    expect(region).to_contain_text("down (killed)")
    shown_s = time.monotonic() - applied
    expect(page.locator("#timeline")).to_contain_text(f"{victim}: origin killed")
    # Then the users: DNS and the edge move paris to the survivor (bound + slack).
    route = page.locator('#map g.location[data-location="paris"]')
    expect(route).to_contain_text(
        f"→ {survivor}", timeout=(sandbox.kill_bound_s + SLACK_S + SHOW_S) * 1000
    )
    moved_s = time.monotonic() - started
    expect(page.locator('#dns-table tr[data-location="paris"]')).to_contain_text(survivor)
    print(
        f"kill on the page {shown_s:.1f} s after the CLI returned; paris shown on {survivor} "
        f"{moved_s:.1f} s after the CLI started"
    )
    screenshot(page, tmp_path, "dashboard-failover.png")


def test_page_controls_need_a_confirmation_then_revive(
    sandbox: Sandbox, page: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    # The region the previous test killed (Paris's nearest); kill it here if that test did not
    # run or its kill did not hold, so this test never depends on another's side effect.
    status = sandbox.client.status()
    victim = next(loc["nearest"][0] for loc in status["locations"] if loc["name"] == "paris")
    if next(r["alive"] for r in status["regions"] if r["name"] == victim):
        sandbox.client.kill(victim)
    before = sandbox.client.status()["last_event_seq"]
    quick = page.locator(f'#health-table tr[data-region="{victim}"] button.quick')
    expect(quick).to_have_text("revive…")
    quick.click()
    expect(page.locator("#fault-confirm")).to_be_visible()
    expect(page.locator("#fault-confirm-cli")).to_have_text(f"polyregion fault revive {victim}")
    page.locator("#fault-no").click()  # cancelled: nothing happens
    expect(page.locator("#fault-confirm")).to_be_hidden()
    time.sleep(1.0)
    assert not [e for e in sandbox.client.events(before) if e["kind"] == "fault"]

    quick.click()
    page.locator("#fault-yes").click()
    expect(page.locator("#fault-result")).to_have_text(
        f"done: polyregion fault revive {victim}", timeout=30_000
    )
    region = page.locator(f'#map g.region[data-region="{victim}"]')
    expect(region).to_have_attribute(
        "data-state", "healthy", timeout=(sandbox.kill_bound_s + SLACK_S + SHOW_S) * 1000
    )
    expect(page.locator('#map g.location[data-location="paris"]')).to_contain_text(
        f"→ {victim}", timeout=(sandbox.kill_bound_s + SLACK_S + SHOW_S) * 1000
    )
    screenshot(page, tmp_path, "dashboard-revived.png")


def test_event_text_is_never_markup(sandbox: Sandbox, page: Any) -> None:
    from playwright.sync_api import expect

    payload = '<img src="x" id="pwned" onerror="document.title=1">'
    sandbox.client.post_event("drill", payload, detail={"note": "<b>bold?</b>"})
    expect(page.locator("#timeline")).to_contain_text(payload, timeout=SHOW_S * 1000)
    assert page.locator("#timeline img, #timeline b, #pwned").count() == 0
