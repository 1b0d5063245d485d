"""The JSON API across two regions: sessions valid everywhere, rotation, read-your-writes.

Both regions live in one moto server without replication: the tests play the replicator by
copying items from one region's table to the other's, when they choose to.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import jwt
import pytest
from conftest import PASSWORD, A, AppFactory, B, signup

from polyregion.data.clients import RegionClients, clients_for
from polyregion.data.provision import provision_region
from polyregion.topology import Topology, from_dict, naming
from tests.support.lossy import lossy_proxy

pytestmark = pytest.mark.functional


def replicate(system: dict[str, RegionClients], topo: Topology, pk: str, sk: str = "post") -> None:
    """Copy one item from A's replica to B's, as the global table would."""
    table = naming.table(topo, naming.BLOG_TABLE)
    key = {"pk": {"S": pk}, "sk": {"S": sk}}
    item = system[A].dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    system[B].dynamodb.put_item(TableName=table, Item=item)


def test_a_session_minted_in_one_region_works_in_the_other(make_app: AppFactory) -> None:
    url_a, url_b = make_app(A), make_app(B)
    with httpx.Client() as c:
        csrf = signup(c, url_a, "traveller")
        page = c.get(f"{url_b}/")
        assert "traveller" in page.text and page.headers["x-polyregion-region"] == B
        r = c.post(
            f"{url_b}/api/posts",
            json={"title": "Written in B", "body": "hello", "slug": "written-in-b"},
            headers={"x-csrf-token": csrf},
        )
        assert r.status_code == 201, r.text
        assert r.json()["updated_region"] == B and r.json()["author"] == "traveller"


def test_read_your_writes_when_the_other_region_lags(
    make_app: AppFactory, system: dict[str, RegionClients], topo: Topology, refusing_endpoint: str
) -> None:
    url_a, url_b = make_app(A), make_app(B, ryw_wait_ms=300)
    with httpx.Client() as c:
        csrf = signup(c, url_a, "writer")
        headers = {"x-csrf-token": csrf}
        created = c.post(
            f"{url_a}/api/posts",
            json={"title": "Mine", "body": "v1", "slug": "ryw"},
            headers=headers,
        ).json()
        assert created["version"] == 1
        pk = created["pk"]
        # Same region: confirmed by a strong local read, served at once.
        assert c.get(f"{url_a}/api/posts/ryw").json()["version"] == 1

        # Region B has nothing yet: wait (bounded), then read from the write region.
        start = time.perf_counter()
        r = c.get(f"{url_b}/api/posts/ryw")
        elapsed = time.perf_counter() - start
        assert r.status_code == 200, r.text
        assert (r.json()["version"], r.json()["read_source"]) == (1, "write-region")
        assert r.json()["region"] == B
        assert 0.3 <= elapsed < 2.0
        # Someone else (no consistency token) gets no such guarantee: B does not have it yet.
        assert httpx.get(f"{url_b}/api/posts/ryw").status_code == 404

        # Edit in A; the replica catches up during the wait: served from B itself.
        v2 = c.put(
            f"{url_a}/api/posts/ryw",
            json={"title": "Mine", "body": "v2", "version": 1},
            headers=headers,
        )
        assert v2.status_code == 200, v2.text
        assert v2.json()["version"] == 2
        timer = threading.Timer(0.1, replicate, args=(system, topo, pk))
        timer.start()
        r = c.get(f"{url_b}/api/posts/ryw")
        timer.join()
        assert (r.json()["version"], r.json()["read_source"]) == (2, "waited")

        # B now holds v2 while A has v3: the user never sees v2 again.
        v3 = c.put(
            f"{url_a}/api/posts/ryw",
            json={"title": "Mine", "body": "v3", "version": 2},
            headers=headers,
        )
        assert v3.json()["version"] == 3
        r = c.get(f"{url_b}/api/posts/ryw")
        assert (r.json()["body"], r.json()["read_source"]) == ("v3", "write-region")
        page = c.get(f"{url_b}/posts/ryw")
        assert page.headers["x-polyregion-read"] == "write-region"
        assert '<div class="body">v3</div>' in page.text
        listed = c.get(f"{url_b}/api/posts").json()["posts"]
        assert next(p for p in listed if p["pk"] == pk)["version"] == 3
        # The write region unreachable too: refuse rather than show the older version.
        url_b_cut = make_app(B, ryw_wait_ms=100, endpoints={A: refusing_endpoint, B: _moto(system)})
        r = c.get(f"{url_b_cut}/api/posts/ryw")
        assert r.status_code == 503
        assert "version 3" in r.json()["error"] and r.headers["retry-after"] == "2"
        page = c.get(f"{url_b_cut}/posts/ryw")
        # (the body's markup, not "v2": a CSRF token may contain those two characters)
        assert page.status_code == 503 and '<div class="body">v2</div>' not in page.text


def _moto(system: dict[str, RegionClients]) -> str:
    endpoint = system[B].endpoint
    assert endpoint is not None
    return endpoint


def test_a_secret_rotation_logs_nobody_out(make_app: AppFactory, moto_url: str) -> None:
    rotating: Topology = from_dict({"app": {"name": "t-rotation"}})
    clients = {r: clients_for(r, {r: moto_url}) for r in rotating.region_names}
    for region, cl in clients.items():
        provision_region(rotating, region, cl, secret_value="before-rotation-" + "x" * 40)
    with httpx.Client() as c:
        csrf = signup(c, make_app(A, topology=rotating), "rotator")
        # Rotate in every region (Secrets Manager replication propagates the new version).
        for cl in clients.values():
            cl.secretsmanager.put_secret_value(
                SecretId=naming.session_secret(rotating), SecretString="after-rotation-" + "y" * 40
            )
        # Fresh processes (empty key caches) in both regions: the old token still verifies
        # through AWSPREVIOUS, and so does its CSRF token.
        url_a, url_b = make_app(A, topology=rotating), make_app(B, topology=rotating)
        for url in (url_a, url_b):
            assert "rotator" in c.get(f"{url}/").text
            r = c.post(
                f"{url}/api/posts",
                json={"title": f"after rotation {url}", "body": "b"},
                headers={"x-csrf-token": csrf},
            )
            assert r.status_code == 201, r.text
        # A new sign-in is signed with the new version and accepted in the other region.
        r = c.post(f"{url_a}/api/session", json={"username": "rotator", "password": PASSWORD})
        assert r.json()["csrf_token"] != csrf
        kid = jwt.get_unverified_header(c.cookies["pr_session"])["kid"]
        current = clients[A].secretsmanager.get_secret_value(
            SecretId=naming.session_secret(rotating)
        )
        assert kid == current["VersionId"]
        assert "rotator" in c.get(f"{url_b}/").text


def test_wrong_credentials_and_duplicate_users(make_app: AppFactory) -> None:
    url = make_app(A)
    with httpx.Client() as c:
        signup(c, url, "dup-user")
        r = c.post(f"{url}/api/users", json={"username": "dup-user", "password": "whatever1"})
        assert r.status_code == 409
    for creds in (
        {"username": "dup-user", "password": "wrong-pass"},
        {"username": "nobody", "password": "whatever1"},
    ):
        r = httpx.post(f"{url}/api/session", json=creds)
        assert r.status_code == 401
        assert r.json() == {"error": "wrong username or password"}


def test_only_the_author_edits_and_stale_versions_conflict(make_app: AppFactory) -> None:
    url = make_app(A)
    with httpx.Client() as author, httpx.Client() as other:
        csrf = signup(author, url, "author1")
        other_csrf = signup(other, url, "other1")
        post: dict[str, Any] = {"title": "Owned", "body": "b", "slug": "owned"}
        assert (
            author.post(f"{url}/api/posts", json=post, headers={"x-csrf-token": csrf}).status_code
            == 201
        )
        assert (
            author.post(f"{url}/api/posts", json=post, headers={"x-csrf-token": csrf}).status_code
            == 409
        )
        edit = {"title": "Hijacked", "body": "b", "version": 1}
        r = other.put(f"{url}/api/posts/owned", json=edit, headers={"x-csrf-token": other_csrf})
        assert r.status_code == 403
        edit = {"title": "Edited", "body": "b", "version": 1}
        assert (
            author.put(
                f"{url}/api/posts/owned", json=edit, headers={"x-csrf-token": csrf}
            ).status_code
            == 200
        )
        r = author.put(f"{url}/api/posts/owned", json=edit, headers={"x-csrf-token": csrf})
        assert r.status_code == 409 and "changed since" in r.json()["error"]
        assert httpx.get(f"{url}/api/posts/owned").json()["title"] == "Edited"


def test_a_create_whose_first_answer_was_lost_is_201_and_one_post(
    make_app: AppFactory, moto_url: str, system: dict[str, RegionClients], topo: Topology
) -> None:
    """DynamoDB applied the first attempt, botocore never heard back and retried: the user
    gets 201 for the post written once, not "slug taken" nor a second post under a suffix."""
    with lossy_proxy(moto_url) as proxy:
        url = make_app(A, endpoints={A: proxy.url, B: moto_url})
        with httpx.Client() as c:
            csrf = signup(c, url, "retrier")
            for title, slug, expected in (
                ("Retried explicit", "retried-explicit", "retried-explicit"),
                ("Retried derived", "", "retried-derived"),  # the app would add a suffix
            ):
                proxy.lose("TransactWriteItems")
                body = {"title": title, "body": "b", "slug": slug}
                r = c.post(f"{url}/api/posts", json=body, headers={"x-csrf-token": csrf})
                assert r.status_code == 201, r.text
                assert r.json()["slug"] == expected
                stored = system[A].dynamodb.scan(
                    TableName=naming.table(topo, naming.BLOG_TABLE),
                    FilterExpression="title = :t AND sk = :k",
                    ExpressionAttributeValues={":t": {"S": title}, ":k": {"S": "post"}},
                    ConsistentRead=True,
                )["Items"]
                assert [i["pk"]["S"] for i in stored] == [r.json()["pk"]]
        assert proxy.lost == ["TransactWriteItems"] * 2
