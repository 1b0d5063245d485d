"""Issue 15 item 7: sign-out revokes the session; the old cookie creates nothing, anywhere."""

from __future__ import annotations

import uuid

import httpx
from conftest import A, AppFactory, B, signup


def test_a_signed_out_cookie_no_longer_writes_in_any_region(make_app: AppFactory) -> None:
    a, b = make_app(A), make_app(B)
    with httpx.Client() as client:
        token = signup(client, a, f"out-{uuid.uuid4().hex[:8]}")
        stolen = dict(client.cookies)  # what an attacker copied before the sign-out
        headers = {"x-csrf-token": token}
        post = {"title": "before sign-out", "body": "ok"}
        assert client.post(f"{a}/api/posts", json=post, headers=headers).status_code == 201
        r = client.request("DELETE", f"{a}/api/session", headers=headers)
        assert r.status_code == 200 and r.json()["signed_out"] is True
    for region_url in (a, b):  # the write region and the other one (direct write)
        with httpx.Client(cookies=stolen) as attacker:
            r = attacker.post(
                f"{region_url}/api/posts",
                json={"title": "after sign-out", "body": "must fail"},
                headers=headers,
            )
            assert r.status_code == 401, (region_url, r.status_code, r.text)


def test_the_form_sign_out_revokes_too(make_app: AppFactory) -> None:
    a = make_app(A)
    with httpx.Client() as client:
        token = signup(client, a, f"form-{uuid.uuid4().hex[:8]}")
        stolen = dict(client.cookies)
        r = client.post(f"{a}/signout", data={"csrf_token": token})
        assert r.status_code in (302, 303)
    with httpx.Client(cookies=stolen) as attacker:
        r = attacker.post(
            f"{a}/api/posts", json={"title": "x", "body": "y"}, headers={"x-csrf-token": token}
        )
        assert r.status_code == 401, r.text
