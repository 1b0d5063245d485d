"""`python -m polyregion.replication`: user errors are one clear line and exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.moto import free_port


def run(tmp_path: Path, endpoints: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "polyregion.replication", "--state-dir", str(tmp_path)]
    return subprocess.run(
        [*argv, "--endpoints", endpoints],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("endpoints", "message"),
    [
        ("not json", "--endpoints = 'not json' is invalid: a JSON object"),
        ('{"us-east-1": "http://127.0.0.1:1"}', "an endpoint for every region"),
        (
            '{"us-east-1": "https://dynamodb.us-east-1.amazonaws.com", "eu-west-1": "http://127.0.0.1:1"}',
            "a loopback URL",
        ),
    ],
)
def test_bad_endpoints_are_one_clear_line(tmp_path: Path, endpoints: str, message: str) -> None:
    done = run(tmp_path, endpoints)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_an_unreachable_endpoint_is_named(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    url = f"http://127.0.0.1:{port}"
    done = run(tmp_path, json.dumps({"us-east-1": url, "eu-west-1": url}))
    assert done.returncode == 2
    assert f"in us-east-1 at {url}" in done.stderr and "Traceback" not in done.stderr
