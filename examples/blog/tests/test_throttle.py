"""Brute-force protection over real HTTP against moto: 429 + Retry-After, the address rule,
the sliding window (an injected clock, no sleeping), hostile viewer-address headers, and the
re-hash of passwords stored at a weaker scrypt cost."""

from __future__ import annotations

import time

import httpx
import pytest
from blog.data.attempts import MemoryAttempts
from blog.data.audit import AuditLog
from blog.settings import AppSettings
from blog.throttle import subject, viewer_address
from conftest import PASSWORD, A, AppFactory, B, signup
from starlette.requests import Request
from test_pages import csrf_of

from polyregion.data.clients import RegionClients
from polyregion.data.items import from_ddb, key
from polyregion.topology import Topology, naming

WRONG = "not-the-password"


class FakeClock:
    def __init__(self) -> None:
        self.now = float(int(time.time()))  # whole seconds: Retry-After figures are exact

    def __call__(self) -> float:
        return self.now


def viewer(address: str) -> dict[str, str]:
    return {"cloudfront-viewer-address": address}


def sign_in(url: str, username: str, password: str, address: str) -> httpx.Response:
    creds = {"username": username, "password": password}
    return httpx.post(f"{url}/api/session", json=creds, headers=viewer(address))


@pytest.mark.functional
def test_failures_per_user_and_per_address_then_429_until_the_window_slides(
    make_app: AppFactory, system: dict[str, RegionClients], topo: Topology
) -> None:
    clock = FakeClock()
    t0 = clock.now
    # Application-wide budgets; each of the two regions enforces half (3 and 5 here).
    url = make_app(
        A, clock=clock, signin_user_limit=6, signin_address_limit=10, signin_window_s=600
    )
    with httpx.Client() as c:
        signup(c, url, "victim-t")
        signup(c, url, "bystander-t")
    here, there = "198.51.100.7:40000", "203.0.113.9:40000"
    for i in range(3):  # one failure every 100 s
        clock.now = t0 + 100 * i
        assert sign_in(url, "victim-t", WRONG, here).status_code == 401
    r = sign_in(url, "victim-t", WRONG, here)
    assert r.status_code == 429
    # Free again when the first failure (t0) leaves the 600 s window: 400 s from t0 + 200.
    assert r.headers["retry-after"] == "400"
    assert r.json() == {"error": "too many sign-in attempts: try again in 7 minutes"}
    # Even the right password is refused from that address (a throttled guess learns
    # nothing); from another address the owner still gets in (issue 15 item 8).
    assert sign_in(url, "victim-t", PASSWORD, here).status_code == 429
    assert sign_in(url, "victim-t", PASSWORD, there).status_code == 200
    # An unknown username is throttled alike: the 429 tells no account exists or not.
    for _ in range(3):
        assert sign_in(url, "ghost-t", WRONG, there).status_code == 401
    ghost = sign_in(url, "ghost-t", WRONG, there)
    assert ghost.status_code == 429
    assert ghost.json() == {"error": "too many sign-in attempts: try again in 10 minutes"}

    # The address rule: 3 failures so far from `here`; 2 more on another user reach 5.
    for _ in range(2):
        assert sign_in(url, "bystander-t", WRONG, here).status_code == 401
    r = sign_in(url, "bystander-t", PASSWORD, here)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert sign_in(url, "bystander-t", PASSWORD, there).status_code == 200  # other address

    # The window slides: past t0 + 600 the oldest failure no longer counts.
    clock.now = t0 + 601
    assert sign_in(url, "victim-t", PASSWORD, here).status_code == 200
    # The audit log records the viewer's address (CloudFront's header), not the socket peer.
    audit = AuditLog(system[A].dynamodb, naming.table(topo, "signin-audit"), A)
    assert audit.for_user("victim-t", limit=1)[0].client == "198.51.100.7"


@pytest.mark.functional
def test_the_sign_in_page_answers_429_with_a_clear_message(make_app: AppFactory) -> None:
    url = make_app(A, clock=FakeClock(), signin_user_limit=2, signin_window_s=60)  # 1 here
    statuses = []
    with httpx.Client() as c:
        for _ in range(2):
            form = c.get(f"{url}/signin")
            data = {"csrf_token": csrf_of(form), "username": "page-t", "password": WRONG}
            r = c.post(f"{url}/signin", data=data, headers=viewer("198.51.100.8:1"))
            statuses.append(r.status_code)
    assert statuses == [401, 429]
    assert r.headers["retry-after"] == "60"
    assert "Too many sign-in attempts: try again in 1 minute." in r.text
    assert r.headers["content-type"].startswith("text/html")


@pytest.mark.functional
def test_sign_ups_per_address_are_limited(make_app: AppFactory) -> None:
    url = make_app(A, clock=FakeClock(), signup_address_limit=2, signup_window_s=3600)
    statuses = []
    for name in ("many-1", "many-1", "many-2"):  # a taken name counts too (enumeration)
        creds = {"username": name, "password": PASSWORD}
        r = httpx.post(f"{url}/api/users", json=creds, headers=viewer("198.51.100.9:2"))
        statuses.append(r.status_code)
    assert statuses == [201, 409, 429]
    assert r.headers["retry-after"] == "3600"


@pytest.mark.functional
def test_malformed_viewer_addresses_never_fail_a_request(make_app: AppFactory) -> None:
    url = make_app(A)
    headers = [
        "",
        "garbage",
        "198.51.100.7",  # no port
        "999.1.1.1:80",
        "198.51.100.7:http",
        ":443",
        "[::1:443",
        "2001:db8::zz:443",
        "x" * 2000,
        "198.51.100.7:80, 203.0.113.1:80",
    ]
    for i, header in enumerate(headers):
        r = sign_in(url, f"nobody-hdr-{i}", WRONG, header)
        assert r.status_code == 401, (header, r.text)


@pytest.mark.functional
def test_a_weak_stored_hash_is_upgraded_by_a_good_sign_in(
    make_app: AppFactory, system: dict[str, RegionClients], topo: Topology
) -> None:
    weak, strong = make_app(A, password_scrypt_n=2**4), make_app(A, password_scrypt_n=2**8)
    with httpx.Client() as c:
        signup(c, weak, "upgrade-t")

    def stored() -> dict[str, object]:
        table = naming.table(topo, naming.BLOG_TABLE)
        out = system[A].dynamodb.get_item(
            TableName=table, Key=key("user#upgrade-t", "user"), ConsistentRead=True
        )
        return from_ddb(out["Item"])

    before = stored()
    assert str(before["password"]).startswith("scrypt$16$8$1$")
    assert sign_in(strong, "upgrade-t", WRONG, "198.51.100.10:1").status_code == 401
    assert stored()["password"] == before["password"]  # a wrong password changes nothing
    assert sign_in(strong, "upgrade-t", PASSWORD, "198.51.100.10:1").status_code == 200
    after = stored()
    assert str(after["password"]).startswith("scrypt$256$8$1$")
    assert after["version"] == int(str(before["version"])) + 1  # replicated as a newer write
    assert sign_in(strong, "upgrade-t", PASSWORD, "198.51.100.10:1").status_code == 200
    assert sign_in(weak, "upgrade-t", PASSWORD, "198.51.100.10:1").status_code == 200


def request_with(header: str | None, peer: tuple[str, int] | None) -> Request:
    headers = [] if header is None else [(b"cloudfront-viewer-address", header.encode())]
    return Request({"type": "http", "headers": headers, "client": peer})


def test_viewer_address_trusts_only_cloudfronts_header() -> None:
    peer = ("10.0.0.1", 5000)
    assert viewer_address(request_with("198.51.100.7:443", peer)) == "198.51.100.7"
    assert viewer_address(request_with("2001:db8::1:443", peer)) == "2001:db8::1"
    assert viewer_address(request_with("bad", peer)) == "10.0.0.1"
    assert viewer_address(request_with(None, None)) == "unknown"
    forged = Request(
        {"type": "http", "headers": [(b"x-forwarded-for", b"203.0.113.1")], "client": peer}
    )
    assert viewer_address(forged) == "10.0.0.1"
    # IPv6 counts per /64 (one host owns all of it).
    assert subject("2001:db8:1:2:3:4:5:6") == subject("2001:db8:1:2::9") == "2001:db8:1:2::/64"
    assert subject("unknown") == "unknown"


def test_without_an_audit_table_the_throttle_still_works_per_process() -> None:
    from blog.context import AppContext

    from polyregion.topology import from_dict

    no_audit = [{"name": "data", "scope": "global", "partition_key": "pk", "sort_key": "sk"}]
    topo = from_dict({"app": {"name": "t-throttle"}, "tables": no_audit})
    # Two regions: each enforces half of the application-wide budget of 4.
    settings = AppSettings(topology=topo, region=A, signin_user_limit=4, signin_window_s=10)
    clock = FakeClock()
    throttle = AppContext(settings, clock=clock).throttle  # builds no client: nothing to call
    assert isinstance(throttle.attempts, MemoryAttempts)
    for _ in range(2):
        assert throttle.signin_retry_after("u", "198.51.100.1") is None
        throttle.signin_failed("u", "198.51.100.1")
    assert throttle.signin_retry_after("u", "198.51.100.1") == 10
    clock.now += 10.001
    assert throttle.signin_retry_after("u", "198.51.100.1") is None


@pytest.mark.functional
def test_failures_from_other_addresses_cannot_lock_the_owner_out(make_app: AppFactory) -> None:
    """Issue 15 item 8: ten wrong passwords from ten addresses used to block the right one
    (429, Retry-After 897) for everyone, the owner included."""
    url = make_app(A, clock=FakeClock(), signin_user_limit=10, signin_window_s=900)
    with httpx.Client() as c:
        signup(c, url, "owner-t")
    for i in range(10):
        r = sign_in(url, "owner-t", WRONG, f"203.0.113.{i + 1}:5000")
        assert r.status_code == 401
    assert sign_in(url, "owner-t", PASSWORD, "198.51.100.77:5000").status_code == 200


@pytest.mark.functional
def test_the_address_budget_does_not_grow_with_the_regions(make_app: AppFactory) -> None:
    """Spraying from one address through every region gets the budget once, not per region."""
    clock = FakeClock()
    limits = {"signin_address_limit": 6, "signin_user_limit": 100, "signin_window_s": 900}
    urls = [make_app(A, clock=clock, **limits), make_app(B, clock=clock, **limits)]
    refused = allowed = 0
    for i in range(12):  # alternate regions, a different user each time
        r = sign_in(urls[i % 2], f"spray-{i}-t", WRONG, "198.51.100.99:1")
        assert r.status_code in (401, 429)
        allowed += r.status_code == 401
        refused += r.status_code == 429
    assert allowed <= 6 and refused >= 6
