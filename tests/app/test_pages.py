"""The HTML site over real HTTP: accounts, posts with covers, escaping, uploads, the audit log."""

from __future__ import annotations

import re

import httpx
import pytest

from polyregion.data.clients import RegionClients
from polyregion.topology import Topology, naming
from tests.app.conftest import A, AppFactory, B

pytestmark = pytest.mark.functional

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def csrf_of(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def sign_up(c: httpx.Client, url: str, username: str) -> None:
    token = csrf_of(c.get(f"{url}/signup"))
    r = c.post(
        f"{url}/signup", data={"csrf_token": token, "username": username, "password": "pass-word-1"}
    )
    assert r.status_code == 303, r.text


def bucket_keys(system: dict[str, RegionClients], topo: Topology, region: str) -> list[str]:
    out = system[region].s3.list_objects_v2(Bucket=naming.bucket(topo, region))
    return [o["Key"] for o in out.get("Contents", [])]


def test_write_a_post_with_a_cover_and_edit_it(
    make_app: AppFactory, system: dict[str, RegionClients], topo: Topology
) -> None:
    url = make_app(A)
    before = set(bucket_keys(system, topo, A))
    with httpx.Client() as c:
        sign_up(c, url, "painter")
        form = c.get(f"{url}/posts/new")
        assert form.status_code == 200
        r = c.post(
            f"{url}/posts/new",
            data={
                "csrf_token": csrf_of(form),
                "title": "<script>alert(1)</script> Hi",
                "body": "<b>x</b>",
            },
            files={"cover": ("pic.bin", PNG, "application/octet-stream")},
        )
        assert r.status_code == 303, r.text
        location = r.headers["location"]
        assert location == "/posts/script-alert-1-script-hi"
        page = c.get(url + location)
        assert page.status_code == 200
        assert "<script>alert(1)</script>" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Hi" in page.text
        assert "&lt;b&gt;x&lt;/b&gt;" in page.text
        cover = re.search(r'src="(/media/covers/[^"]+)"', page.text)
        assert cover
        img = c.get(url + cover.group(1))
        assert img.content == PNG and img.headers["content-type"] == "image/png"
        assert "immutable" in img.headers["cache-control"]

        edit = c.get(f"{url}{location}/edit")
        r = c.post(
            f"{url}{location}/edit",
            data={
                "csrf_token": csrf_of(edit),
                "title": "Renamed",
                "body": "new body",
                "version": "1",
            },
        )
        assert r.status_code == 303
        page = c.get(url + location)
        assert "Renamed" in page.text and "version 2" in page.text
        # A stale form (version 1 again) is refused with a clear message, nothing overwritten.
        r = c.post(
            f"{url}{location}/edit",
            data={"csrf_token": csrf_of(edit), "title": "Stale", "body": "old", "version": "1"},
        )
        assert r.status_code == 409 and "changed since you opened it" in r.text
        assert "Renamed" in c.get(url + location).text
    assert len(set(bucket_keys(system, topo, A)) - before) == 1  # the one cover, no orphans


def test_cover_fallback_reads_the_writing_region_while_s3_replicates(
    make_app: AppFactory, system: dict[str, RegionClients], topo: Topology
) -> None:
    key = "covers/fallback/abc.png"
    system[A].s3.put_object(
        Bucket=naming.bucket(topo, A), Key=key, Body=PNG, ContentType="image/png"
    )
    url_b = make_app(B)
    r = httpx.get(f"{url_b}/media/{key}")
    assert r.status_code == 200 and r.content == PNG
    assert httpx.get(f"{url_b}/media/covers/none.png").status_code == 404
    assert httpx.get(f"{url_b}/media/etc/passwd").status_code == 404


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not a PNG, JPEG, GIF or WebP file"),
        (b"\x89PNG\r\n\x1a\n" + bytes(9000), "the limit is 8 KiB"),
    ],
)
def test_invalid_uploads_are_rejected_and_nothing_is_written(
    make_app: AppFactory,
    system: dict[str, RegionClients],
    topo: Topology,
    content: bytes,
    message: str,
) -> None:
    url = make_app(A, max_upload_bytes=8192)
    before = bucket_keys(system, topo, A)
    with httpx.Client() as c:
        sign_up(c, url, f"uploader{len(content)}")
        form = c.get(f"{url}/posts/new")
        r = c.post(
            f"{url}/posts/new",
            data={
                "csrf_token": csrf_of(form),
                "title": "Bad cover",
                "body": "b",
                "slug": f"bad-{len(content)}",
            },
            files={"cover": ("cover.png", content, "image/png")},
        )
        assert r.status_code == 400
        assert message in r.text
        assert 'value="Bad cover"' in r.text  # the form comes back filled in
        assert c.get(f"{url}/posts/bad-{len(content)}").status_code == 404
    assert bucket_keys(system, topo, A) == before


def test_sign_in_out_and_the_audit_log_stays_in_its_region(
    make_app: AppFactory, system: dict[str, RegionClients], topo: Topology
) -> None:
    url = make_app(A)
    with httpx.Client() as c:
        sign_up(c, url, "audited")
        token = csrf_of(c.get(f"{url}/"))
        assert c.post(f"{url}/signout", data={"csrf_token": token}).status_code == 303
        assert "Sign in" in c.get(f"{url}/").text
        form = c.get(f"{url}/signin")
        bad = c.post(
            f"{url}/signin",
            data={"csrf_token": csrf_of(form), "username": "audited", "password": "nope-nope"},
        )
        assert bad.status_code == 401 and "Wrong username or password" in bad.text
        ok = c.post(
            f"{url}/signin",
            data={"csrf_token": csrf_of(form), "username": "audited", "password": "pass-word-1"},
        )
        assert ok.status_code == 303
        assert "audited" in c.get(f"{url}/").text
    table = naming.table(topo, "signin-audit")
    query = {
        "TableName": table,
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "user#audited"}},
    }
    outcomes = [i["outcome"]["S"] for i in system[A].dynamodb.query(**query)["Items"]]
    assert sorted(outcomes) == ["bad-password", "ok", "signup"]
    assert system[B].dynamodb.query(**query)["Items"] == []  # regional: never replicated


def test_signed_out_users_are_sent_to_sign_in(make_app: AppFactory) -> None:
    url = make_app(A)
    r = httpx.get(f"{url}/posts/new")
    assert r.status_code == 303 and r.headers["location"] == "/signin"
    with httpx.Client() as c:
        form = c.get(f"{url}/signup")
        r = c.post(
            f"{url}/signup",
            data={"csrf_token": csrf_of(form), "username": "x", "password": "short"},
        )
        assert r.status_code == 400 and "Username: 3-32" in r.text


def test_a_failed_write_leaves_no_orphan_cover(
    make_app: AppFactory, system: dict[str, RegionClients], topo: Topology
) -> None:
    url = make_app(A)
    with httpx.Client() as c:
        sign_up(c, url, "orphans")
        form = c.get(f"{url}/posts/new")
        fields = {"csrf_token": csrf_of(form), "title": "First", "body": "b", "slug": "taken-slug"}
        assert c.post(f"{url}/posts/new", data=fields).status_code == 303
        before = set(bucket_keys(system, topo, A))
        r = c.post(
            f"{url}/posts/new",
            data={**fields, "title": "Second"},
            files={"cover": ("c.png", PNG, "image/png")},
        )
        assert r.status_code == 409 and "is taken" in r.text
    assert set(bucket_keys(system, topo, A)) == before  # uploaded, then removed again
