"""Issue 15 against a real sandbox (`up --fast`): what a web page and bad input cannot do.

One sandbox for the module; every test leaves it as it found it.
"""

from __future__ import annotations

import boto3
import httpx
import pytest

from polyregion.sandbox.plan import plan as sandbox_plan
from polyregion.topology import load
from tests.sandbox.conftest import RunningSandbox

pytestmark = pytest.mark.functional

# What a page on any site can send without a CORS preflight: a "simple" request.
PAGE = {"origin": "https://evil.example", "content-type": "text/plain"}


def test_a_page_cannot_switch_a_region_endpoints_faults(sandbox: RunningSandbox) -> None:
    """Item 5: a text/plain POST took us-east-1 down, and status and heal never knew."""
    endpoint = sandbox.region("us-east-1")["aws_endpoint"]
    body = b'{"dependency": "dynamodb", "mode": "down"}'
    with httpx.Client(trust_env=False, timeout=5) as http:
        as_page = http.post(f"{endpoint}/_sandbox/faults", content=body, headers=PAGE)
        # Even a local script sending proper JSON is not the owner of the fault state.
        as_script = http.post(
            f"{endpoint}/_sandbox/faults",
            content=body,
            headers={"content-type": "application/json"},
        )
        modes = http.get(f"{endpoint}/_sandbox/faults").json()
    assert (as_page.status_code, as_script.status_code) == (403, 403)
    assert modes["dynamodb"] == "up"
    # The owner's way still works, and status shows it.
    sandbox.client.dependency("us-east-1", "dynamodb", "down")
    try:
        region = next(r for r in sandbox.client.status()["regions"] if r["name"] == "us-east-1")
        assert region["faults"]["dependencies"]["dynamodb"] == "down"
        with httpx.Client(trust_env=False, timeout=5) as http:
            assert http.get(f"{endpoint}/_sandbox/faults").json()["dynamodb"] == "down"
    finally:
        sandbox.client.heal()
    with httpx.Client(trust_env=False, timeout=5) as http:
        assert http.get(f"{endpoint}/_sandbox/faults").json()["dynamodb"] == "up"


def test_a_page_cannot_partition_the_replicator(sandbox: RunningSandbox) -> None:
    plan = sandbox_plan(load(sandbox.config))
    url = f"http://127.0.0.1:{plan.replicator_port}"
    body = b'{"a": "us-east-1", "b": "eu-west-1"}'
    with httpx.Client(trust_env=False, timeout=5) as http:
        refused = http.post(f"{url}/partition", content=body, headers=PAGE)
        status = http.get(f"{url}/status").json()
    assert refused.status_code in (403, 415)
    assert status["partitions"] == []


def test_a_page_cannot_plant_html_in_a_bucket(sandbox: RunningSandbox) -> None:
    """Item 6: a browser form POST to the local S3 endpoint, then /media served it as HTML."""
    region = sandbox.region("us-east-1")
    endpoint, bucket = region["aws_endpoint"], region["bucket"]
    key = "covers/planted/x.png"
    html = b"<html><script>alert(1)</script></html>"
    with httpx.Client(trust_env=False, timeout=5) as http:
        form = http.post(
            f"{endpoint}/{bucket}",
            headers={"origin": "https://evil.example"},
            files={"key": (None, key), "Content-Type": (None, "text/html"), "file": ("x", html)},
        )
        unsigned = http.put(
            f"{endpoint}/{bucket}/{key}", content=html, headers={"content-type": "text/html"}
        )
    assert (form.status_code, unsigned.status_code) == (403, 403)
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert key not in keys
    # Even if something unsigned-by-design put HTML there, /media would not serve it as HTML.
    s3.put_object(Bucket=bucket, Key=key, Body=html, ContentType="text/html")
    try:
        for loc in sandbox.status["locations"]:
            r = httpx.get(f"{loc['entry_url']}media/{key}", timeout=5)
            assert r.status_code == 404
            assert "<script>" not in r.text
    finally:
        s3.delete_object(Bucket=bucket, Key=key)


def test_the_origins_413_passes_through_the_edge_every_time(sandbox: RunningSandbox) -> None:
    """Item 9: 3 MiB to /api/session gave `413 502 502 413 413` through the edge."""
    paris = sandbox.location("paris")["entry_url"].rstrip("/")
    body = b'{"username": "' + b"a" * (3 * 1024 * 1024) + b'"}'
    with httpx.Client(trust_env=False, timeout=10) as http:
        statuses = [
            http.post(
                f"{paris}/api/session", content=body, headers={"content-type": "application/json"}
            ).status_code
            for _ in range(8)
        ]
    assert statuses == [413] * 8


def test_head_through_the_edge_keeps_the_content_length(sandbox: RunningSandbox) -> None:
    """Item 12: HEAD through the edge said `content-length: 0`."""
    paris = sandbox.location("paris")["entry_url"].rstrip("/")
    with httpx.Client(trust_env=False, timeout=5) as http:
        head = http.head(f"{paris}/api/health/live")
        get = http.get(f"{paris}/api/health/live")
    assert head.status_code == get.status_code == 200
    assert int(head.headers["content-length"]) == len(get.content) > 0


def test_one_signed_in_user_moves_between_locations_with_the_pac_files(
    sandbox: RunningSandbox,
) -> None:
    """Newcomer item: the same session in Paris and New York, one app host, no browser flags."""
    import re
    from pathlib import Path
    from urllib.parse import urlsplit

    status = sandbox.client.status()
    app = f"http://{status['app_hostname']}:{urlsplit(status['locations'][0]['entry_url']).port}"
    proxies = {}
    for loc in status["locations"]:
        pac = Path(urlsplit(loc["pac_url"]).path).read_text()
        proxy = re.search(r'"PROXY ([\d.]+:\d+)"', pac)
        assert proxy is not None, pac
        assert proxy.group(1) == urlsplit(loc["entry_url"]).netloc
        proxies[loc["name"]] = f"http://{proxy.group(1)}"
    cookies = httpx.Cookies()  # one browser: its cookie jar is keyed on the app host
    regions = {}
    for name in ("paris", "new-york"):
        with httpx.Client(proxy=proxies[name], cookies=cookies, trust_env=False, timeout=5) as c:
            if name == "paris":
                form = c.get(f"{app}/signup")
                token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
                assert token is not None
                signed = c.post(
                    f"{app}/signup",
                    data={
                        "csrf_token": token.group(1),
                        "username": "traveller",
                        "password": "pass-word-1",
                    },
                )
                assert signed.status_code == 303, signed.text
            page = c.get(f"{app}/")
            assert page.status_code == 200
            assert "traveller" in page.text  # signed in, in both locations
            regions[name] = page.headers["x-polyregion-region"]
            cookies = c.cookies
    assert regions == {"paris": "eu-west-1", "new-york": "us-east-1"}
