"""The app as a whole over real HTTP: region header, caching headers, bad input of every kind."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest
from blog.web import static_url
from conftest import A, AppFactory, signup

pytestmark = pytest.mark.functional


@pytest.fixture(scope="module")
def url(make_app: AppFactory) -> str:
    return make_app(A, max_body_bytes=4096, max_upload_bytes=8192)


def test_every_response_names_the_region(url: str) -> None:
    for path, status in (
        ("/", 200),
        ("/api/health/live", 200),
        ("/posts/no-such-post", 404),
        ("/api/posts/no-such-post", 404),
        ("/nowhere", 404),
        (static_url("app.css"), 200),
    ):
        r = httpx.get(url + path)
        assert r.status_code == status, path
        assert r.headers["x-polyregion-region"] == A, path
    page = httpx.get(url + "/").text
    assert f"served by <strong>{A}</strong>" in page


def test_static_files_are_long_cached_and_pages_are_not(url: str) -> None:
    css = httpx.get(url + static_url("app.css"))
    assert css.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "text/css" in css.headers["content-type"]
    assert httpx.get(url + "/").headers["cache-control"] == "no-store"
    assert httpx.get(url + "/static/0000/app.css").status_code == 404


def test_unknown_or_malformed_slugs_are_404_not_500(url: str) -> None:
    for slug in ("missing", "UPPER", "a" * 500, "..%2f..", "%00", "é"):
        assert httpx.get(f"{url}/posts/{slug}").status_code == 404, slug
        assert httpx.get(f"{url}/api/posts/{slug}").status_code == 404, slug


def test_a_404_page_says_what_is_missing_and_escapes_the_path(url: str) -> None:
    page = httpx.get(f"{url}/no/such/<b>page")
    assert page.status_code == 404
    assert "<h1>Not found</h1>" in page.text
    assert "There is no page at /no/such/%3Cb%3Epage" in page.text or "&lt;b&gt;" in page.text
    assert "<b>page" not in page.text
    missing = httpx.get(f"{url}/posts/missing")
    assert "<h1>Not found</h1>" in missing.text and "No post at /posts/missing" in missing.text
    api = httpx.get(f"{url}/api/nothing", headers={"accept": "application/json"})
    assert api.status_code == 404 and api.json() == {"error": "Not Found"}  # JSON unchanged


def _b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cookie",
    [
        "junk",
        "",
        "a.b.c",
        "x" * 5000,
        f"{_b64({'alg': 'none', 'kid': 'k'})}.{_b64({'sub': 'alice', 'exp': 4102444800})}.",
        f"{_b64({'alg': 'HS256', 'kid': 7})}.{_b64({'sub': 'alice'})}.c2ln",
        f"{_b64({'alg': 'HS256', 'kid': 'k'})}.{_b64([1, 2])}.c2ln",
        "\u00e9\u00e9.\u00e9",
    ],
)
def test_bad_session_cookies_mean_signed_out(url: str, cookie: str) -> None:
    headers = {"cookie": f"pr_session={cookie}".encode("latin-1")}
    r = httpx.get(url + "/", headers=headers)
    assert r.status_code == 200
    assert "Sign in" in r.text
    r = httpx.post(url + "/api/posts", headers={**headers, "x-csrf-token": "x"}, json={})
    assert r.status_code == 401


def test_tampered_and_expired_sessions_mean_signed_out(url: str) -> None:
    with httpx.Client() as c:
        csrf = signup(c, url, "tamper")
        token = c.cookies["pr_session"]
        head, body, sig = token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(body + "=="))
        forged = _b64({**claims, "sub": "someone-else"})
        expired = _b64({**claims, "exp": claims["iat"] - 1})
    for bad in (f"{head}.{forged}.{sig}", f"{head}.{expired}.{sig}", f"{head}.{body}.{sig[:-2]}"):
        r = httpx.post(
            url + "/api/posts",
            headers={"cookie": f"pr_session={bad}; pr_csrf={csrf}", "x-csrf-token": csrf},
            json={"title": "t", "body": "b"},
        )
        assert r.status_code == 401, bad


def test_a_planted_csrf_pair_from_another_session_is_403(url: str) -> None:
    """Cookie tossing (a sibling subdomain is same-site): Mallory sets her own valid token as
    both the victim's pr_csrf cookie and the header; it is bound to her session, not Alice's."""
    with httpx.Client() as alice, httpx.Client() as mallory:
        alice_csrf = signup(alice, url, "bound-alice")
        mallory_csrf = signup(mallory, url, "bound-mallory")
        session = alice.cookies["pr_session"]
    post = {"title": "Planted", "body": "b", "slug": "planted-csrf"}

    def as_alice(token: str) -> httpx.Response:
        cookie = f"pr_session={session}; pr_csrf={token}"
        return httpx.post(
            f"{url}/api/posts", json=post, headers={"cookie": cookie, "x-csrf-token": token}
        )

    assert as_alice(mallory_csrf).status_code == 403
    assert httpx.get(f"{url}/api/posts/planted-csrf").status_code == 404
    assert as_alice(alice_csrf).status_code == 201


def test_missing_or_wrong_csrf_is_403_and_writes_nothing(url: str) -> None:
    with httpx.Client() as c:
        csrf = signup(c, url, "csrfuser")
        post = {"title": "Should not exist", "body": "b", "slug": "csrf-probe"}
        assert c.post(f"{url}/api/posts", json=post).status_code == 403
        r = c.post(f"{url}/api/posts", json=post, headers={"x-csrf-token": csrf + "x"})
        assert r.status_code == 403
        assert "CSRF" in r.json()["error"]
        # HTML forms too, signed in or not
        assert c.post(f"{url}/signout", data={}).status_code == 403
        assert c.post(f"{url}/posts/new", data={"title": "x", "body": "y"}).status_code == 403
        assert c.get(f"{url}/api/posts/csrf-probe").status_code == 404
    assert httpx.post(f"{url}/signin", data={"username": "a", "password": "b"}).status_code == 403


def test_oversized_bodies_are_413_by_length_and_by_streamed_bytes(url: str) -> None:
    big = b"x" * 5000  # the module's app allows 4096 bytes (8192 + 4096 for post forms)
    r = httpx.post(f"{url}/api/session", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert "too large" in r.json()["error"]
    assert r.headers["x-polyregion-region"] == A

    def chunks() -> Iterator[bytes]:  # no Content-Length: the bytes are counted as they come
        for _ in range(10):
            yield b"y" * 1000

    r = httpx.post(
        f"{url}/api/session", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert "too large" in r.json()["error"]
    files = {"cover": ("c.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20_000, "image/png")}
    assert httpx.post(f"{url}/posts/new", files=files).status_code == 413


def test_bad_json_bodies_are_clear_400s(url: str) -> None:
    for content, ctype, status in (
        (b"{", "application/json", 400),
        (b"[1]", "application/json", 400),
        (b'{"username": 5, "password": "x"}', "application/json", 400),
        (b'{"username": "ab", "password": "password1"}', "application/json", 400),
        (b"username=a", "application/x-www-form-urlencoded", 415),
    ):
        r = httpx.post(f"{url}/api/session", content=content, headers={"content-type": ctype})
        assert r.status_code == status, content
        assert r.json()["error"]


def test_secure_cookies_by_default(make_app: AppFactory) -> None:
    url = make_app(A, secure_cookies=True)
    r = httpx.post(f"{url}/api/users", json={"username": "secureuser", "password": "password1"})
    cookies = r.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("pr_session="))
    assert "HttpOnly" in session and "Secure" in session and "SameSite=lax" in session


def test_anonymous_pages_set_no_cookie_and_never_show_a_signed_in_view(url: str) -> None:
    with httpx.Client() as c:
        csrf = signup(c, url, "cacheuser")
        r = c.post(
            f"{url}/api/posts",
            json={"title": "Cached", "body": "b", "slug": "cached-page"},
            headers={"x-csrf-token": csrf},
        )
        assert r.status_code == 201
        mine = c.get(f"{url}/posts/cached-page")
        assert "cacheuser</span>" in mine.text and "Edit</a>" in mine.text
    for _ in range(2):  # the second one comes from the page cache
        anon = httpx.get(f"{url}/posts/cached-page")
        assert anon.status_code == 200 and "set-cookie" not in anon.headers
        assert "Sign in" in anon.text and "Edit</a>" not in anon.text
    assert anon.headers["x-polyregion-read"] == "cache"
    assert "set-cookie" in httpx.get(f"{url}/signin").headers  # a form: it needs a CSRF token


def test_every_response_forbids_framing_and_sniffing(url: str) -> None:
    """Clickjacking the sign-out or post forms needs a frame; the CSP allows none."""
    for path in ("/", "/", "/signin", "/posts/no-such-post", "/api/health/live"):
        r = httpx.get(url + path)  # "/" twice: the second is the anonymous page cache
        assert r.headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
        assert "script-src" not in r.headers["content-security-policy"]  # default-src 'none'
        assert r.headers["x-content-type-options"] == "nosniff", path
