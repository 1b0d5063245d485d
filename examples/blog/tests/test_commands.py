"""`python -m blog` as a new user runs it: no AWS account, no endpoints configured."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

BLOG_DIR = Path(__file__).resolve().parents[1]


def children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.functional
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_serve_runs_against_a_local_moto_and_always_stops_it(stop: signal.Signals) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYREGION_")}
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join([str(BLOG_DIR), str(BLOG_DIR.parents[1])])
    proc = subprocess.Popen(
        [sys.executable, "-m", "blog", "--region", "eu-west-1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
        assert match, line + (proc.stderr.read() if proc.poll() is not None and proc.stderr else "")
        url = match.group(1)
        deadline = time.monotonic() + 20
        while True:
            try:
                r = httpx.get(f"{url}/api/health", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the app never answered"
                time.sleep(0.1)
        assert r.status_code == 200, r.text
        assert r.json()["region"] == "eu-west-1"
        assert "served by <strong>eu-west-1</strong>" in httpx.get(url + "/").text
        moto = children(proc.pid)
        assert moto, "expected the moto server child process"
    finally:
        proc.send_signal(stop)  # Ctrl-C, or what process supervisors (systemd, docker) send
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    time.sleep(0.2)
    leaked = [pid for pid in moto if alive(pid)]
    for pid in leaked:  # never leave a process behind, even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert not leaked, f"the moto child outlived serve ({stop.name})"
    if stop == signal.SIGTERM:
        assert proc.returncode == 128 + signal.SIGTERM, proc.returncode


def test_serve_help_and_bad_region() -> None:
    run = [sys.executable, "-m", "blog"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(BLOG_DIR), str(BLOG_DIR.parents[1])])}
    out = subprocess.run([*run, "--help"], capture_output=True, text=True, check=False, env=env)
    assert out.returncode == 0 and "--region" in out.stdout and "--aws" in out.stdout
    out = subprocess.run(
        [*run, "--region", "mars-1"], capture_output=True, text=True, check=False, env=env
    )
    assert out.returncode == 2
    assert "region = 'mars-1' is invalid" in out.stderr and "Traceback" not in out.stderr


def test_serve_refuses_endpoints_that_miss_its_region() -> None:
    env = {
        **os.environ,
        "POLYREGION_AWS_ENDPOINTS": '{"us-east-1": "http://127.0.0.1:9"}',
        "PYTHONPATH": os.pathsep.join([str(BLOG_DIR), str(BLOG_DIR.parents[1])]),
    }
    out = subprocess.run(
        [sys.executable, "-m", "blog", "--region", "eu-west-1"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert out.returncode == 2
    assert "has no endpoint for eu-west-1" in out.stderr and "Traceback" not in out.stderr
