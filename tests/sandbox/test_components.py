"""Any app through `polyregion up`: a tiny stdlib + boto3 app (tests/sandbox/apps/notes.py)
that is not the blog gets the contract's environment, its global table replicates, its
regional table never leaves, a crash is reported and the app restarted, and an app that exits or
never listens makes `up` fail with its log lines, never hang."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.sandbox.conftest import RunningSandbox, running_sandbox, wait_for

pytestmark = pytest.mark.functional
APP = Path(__file__).parent / "apps" / "notes.py"
A, B = "us-east-1", "eu-west-1"
TABLES = """
[health]
path = "/health"

[[tables]]
name = "notes"
scope = "global"
partition_key = "id"

[[tables]]
name = "visits"
scope = "regional"
partition_key = "id"

[drill]
read_paths = ["/"]
"""


def app_dir(tmp: Path) -> Path:
    shutil.copy(APP, tmp / "notes.py")  # the command is relative to the topology file's dir
    return tmp


def origin(sb: RunningSandbox, region: str) -> httpx.Client:
    r = sb.region(region)
    return httpx.Client(base_url=r["origin_url"], timeout=5.0, trust_env=False)


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory) -> RunningSandbox:  # type: ignore[misc]
    tmp = app_dir(tmp_path_factory.mktemp("own-app"))
    with running_sandbox(tmp, app='command = "python notes.py"\n', extra=TABLES) as sb:
        yield sb


def test_the_app_gets_exactly_the_contract_environment(notes: RunningSandbox) -> None:
    r = notes.region(B)
    with origin(notes, B) as c:
        env = c.get("/env").json()
    assert env["HOST"] == r["origin_ip"] and env["PORT"] == str(r["origin_port"])
    assert env["POLYREGION_REGION"] == B
    assert env["POLYREGION_REGIONS"] == f"{A},{B}"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == B
    assert env["AWS_ENDPOINT_URL"] == r["aws_endpoint"]
    assert env["POLYREGION_TABLE_NOTES"] == "sbxtest-notes"
    assert env["POLYREGION_TABLE_VISITS"] == "sbxtest-visits"
    assert env["POLYREGION_SECRET_SESSION"] == "sbxtest/session-secret"
    assert env["POLYREGION_ORIGIN_VERIFY_SECRET"] == "sbxtest/origin-verify"
    assert env["POLYREGION_ORIGIN_VERIFY_HEADER"] == "x-origin-verify"
    assert env["POLYREGION_SECURE_COOKIES"] == "0"
    assert A in env["POLYREGION_AWS_ENDPOINTS"] and B in env["POLYREGION_AWS_ENDPOINTS"]
    app = r["app"]
    assert app["command"][1:] == ["notes.py"] and app["log"].endswith(f"app-{B}.log")
    # The app ignores x-origin-verify: status says its origin is open.
    assert app["origin_open"] is True
    out = notes.cli("status")
    assert "origin open" in out.stdout and f"app-{B}.log" in out.stdout


def test_a_global_write_in_one_region_is_read_in_the_other(notes: RunningSandbox) -> None:
    with origin(notes, A) as a, origin(notes, B) as b:
        assert a.put("/notes/n1", content=b"hello from A").status_code == 200
        wait_for(lambda: b.get("/notes/n1").status_code == 200, timeout_s=10)
        assert b.get("/notes/n1").json() == {"id": {"S": "n1"}, "text": {"S": "hello from A"}}
        # and back: an update in B (of the replicated copy) reaches A
        assert b.put("/notes/n1", content=b"edited in B").status_code == 200
        wait_for(lambda: a.get("/notes/n1").json()["text"]["S"] == "edited in B", timeout_s=10)


def test_a_regional_table_never_leaves_its_region(notes: RunningSandbox) -> None:
    with origin(notes, A) as a, origin(notes, B) as b:
        assert a.put("/visits/v1", content=b"stays in A").status_code == 200
        assert a.put("/notes/marker-v1", content=b"written after the visit").status_code == 200
        # The global write made after it has arrived: the regional one would have too.
        wait_for(lambda: b.get("/notes/marker-v1").status_code == 200, timeout_s=10)
        assert a.get("/visits/v1").status_code == 200
        assert b.get("/visits/v1").status_code == 404


def test_a_crash_mid_run_is_reported_and_the_app_restarted(notes: RunningSandbox) -> None:
    """The app is supervised like every child: a crash is an event with its exit code, the
    app comes back on its own (only `fault kill` keeps a region dead), and `status` counts it."""
    with origin(notes, A) as a, pytest.raises(httpx.HTTPError):
        a.post("/crash")
    crashed = f"app:{A} exited unexpectedly (code 3)"
    wait_for(lambda: any(crashed in e["message"] for e in notes.client.events()), timeout_s=10)

    def restarted() -> bool:
        status = notes.client.status()
        child = next(c for c in status["children"] if c["name"] == f"app:{A}")
        return child["restarts"] >= 1 and child["alive"] and status["regions"][0]["alive"]

    wait_for(restarted, timeout_s=15, step_s=0.2)
    region = notes.client.status()["regions"][0]
    assert region["faults"]["killed"] is False and region["app"]["exit_code"] is None

    def serving() -> bool:
        with origin(notes, A) as a:
            try:
                return a.get("/health").status_code == 200
            except httpx.HTTPError:
                return False

    wait_for(serving, timeout_s=15, step_s=0.2)
    assert f"app:{A} 1" in notes.cli("status").stdout  # "Restarts: app:us-east-1 1"


def served_by(sb: RunningSandbox, location: dict[str, Any]) -> str | None:
    """The region that answered GET / through the location's edge (its `x-region` header)."""
    try:
        r = httpx.get(location["entry_url"], timeout=3.0, trust_env=False)
    except httpx.HTTPError:
        return None
    return r.headers.get("x-region") if r.status_code < 500 else None


def test_a_crash_loop_shows_the_region_down_and_routes_around_it(notes: RunningSandbox) -> None:
    """Issue 12's "an app that crashes mid-run is shown as killed and routed around", with
    issue 15's supervision: an app that keeps exiting on start is restarted with backoff
    (0.5, 1, 2, 4 s...) and stays down in between, so `status` says killed with the exit code,
    the dashboard draws the region down, and its location is served by the next region."""
    status = notes.client.status()
    home = next(loc for loc in status["locations"] if loc["nearest"][0] == A)
    wait_for(lambda: served_by(notes, home) == A, timeout_s=30, step_s=0.2)
    bound = float(status["profile"]["kill_bound_s"]) + 4.0  # + a busy CI machine
    marker = Path(notes.config).parent / f"crash-loop-{A}"
    with origin(notes, A) as a, pytest.raises(httpx.HTTPError):
        a.post("/crash-loop")  # the app writes the marker and exits; every restart exits too
    try:
        assert marker.exists()

        def looping() -> bool:
            s = notes.client.status()
            region = next(r for r in s["regions"] if r["name"] == A)
            child = next(c for c in s["children"] if c["name"] == f"app:{A}")
            return (
                child["restarts"] >= 2
                and region["alive"] is False
                and region["faults"]["killed"] is True
                and region["app"]["exit_code"] == 5
            )

        wait_for(looping, timeout_s=30, step_s=0.1)
        messages = [e["message"] for e in notes.client.events()]
        assert any(f"app:{A} exited unexpectedly (code 5)" in m for m in messages), messages
        # `fault kill` was never used: the supervision keeps trying (restarting in ... s).
        assert notes.client.status()["regions"][0]["name"] == A

        moved = wait_for(lambda: served_by(notes, home) == B, timeout_s=bound, step_s=0.2)
        print(f"crash loop: {home['name']} served by {B} after {moved:.2f} s")

        def dashboard_down() -> bool:
            url = str(notes.client.status()["dashboard_url"]).rstrip("/") + "/api/state"
            view = httpx.get(url, timeout=5, trust_env=False).json()
            region = next(r for r in view["regions"] if r["name"] == A)
            return region["state"] == "down" and "killed" in region["faults"]

        wait_for(dashboard_down, timeout_s=15, step_s=0.3)

        def says_killed() -> bool:
            out = notes.cli("status").stdout
            return any(A in line and "killed (exit 5)" in line for line in out.splitlines())

        wait_for(says_killed, timeout_s=15, step_s=0.3)
    finally:
        marker.unlink(missing_ok=True)
    # The marker gone, `fault revive` starts it now instead of after the current backoff.
    revived = notes.cli("fault", "revive", A)
    assert revived.returncode == 0, revived.stderr
    wait_for(lambda: served_by(notes, home) == A, timeout_s=bound + 10, step_s=0.2)
    assert notes.client.status()["regions"][0]["alive"] is True


@pytest.mark.parametrize(
    ("mode", "needles"),
    [
        ("never-listen", ["did not listen on", "within 3 s", "not listening on purpose"]),
        ("exit", ["exited with code 4 while starting", "giving up on purpose"]),
    ],
)
def test_an_app_that_never_serves_fails_up_with_its_log(
    tmp_path: Path, mode: str, needles: list[str]
) -> None:
    app_dir(tmp_path)
    started = time.monotonic()
    with (
        pytest.raises(AssertionError) as failed,
        running_sandbox(
            tmp_path,
            app=f'command = ["python", "notes.py", "--mode", "{mode}"]\n',
            extra=TABLES,
            app_start_timeout_s=3,
        ),
    ):
        pass
    assert time.monotonic() - started < 90  # a clear failure, never a hang
    message = str(failed.value)
    for needle in needles:
        assert needle in message, message


def test_a_command_that_is_not_found_is_refused_before_anything_starts(tmp_path: Path) -> None:
    from tests.sandbox.conftest import write_topology

    config = write_topology(
        tmp_path / "polyregion.toml", app='command = ["./missing.sh"]\n', extra=TABLES
    )
    out = subprocess.run(
        [sys.executable, "-m", "polyregion.cli", "up", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "POLYREGION_RUN_DIR": str(tmp_path / "run")},
    )
    assert out.returncode == 2, out
    assert "app.command" in out.stderr and "does not exist" in out.stderr
    assert "Traceback" not in out.stderr
