"""The session-less drill write (`[drill.write]` of examples/blog/polyregion.toml): stored in
the local replica only, read back from the local replica only, never shown to users, removed
by the drill's cleanup, and bad input is a 4xx.

Both regions live in one moto server without replication: the test copies an item itself when
it wants region B to hold it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from blog.drill_writes import DRILL_BODY_BYTES
from conftest import A, AppFactory, B, signup

from polyregion.data.clients import RegionClients
from polyregion.ops.cleanup import remove_drill_records
from polyregion.ops.workload import record_id, run_prefix
from polyregion.topology import Topology, naming

pytestmark = pytest.mark.functional

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def urls(make_app: AppFactory) -> tuple[str, str]:
    return make_app(A), make_app(B)


def _table(topo: Topology) -> str:
    return naming.table(topo, naming.BLOG_TABLE)


def _key(drill_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"drill#{drill_id}"}, "sk": {"S": "drill"}}


def _run() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def test_a_drill_write_needs_no_session_and_lands_in_the_local_replica_only(
    urls: tuple[str, str], system: dict[str, RegionClients], topo: Topology
) -> None:
    url_a, url_b = urls
    drill_id = record_id(_run(), "paris", 1)
    r = httpx.post(f"{url_a}/api/drill-writes", json={"id": drill_id})  # no cookie, no CSRF
    assert r.status_code == 201, r.text
    assert r.json() == {"id": drill_id, "region": A}
    assert r.headers["x-polyregion-region"] == A
    assert r.headers["location"] == f"/api/drill-writes/{drill_id}"
    stored = system[A].dynamodb.get_item(
        TableName=_table(topo), Key=_key(drill_id), ConsistentRead=True
    )["Item"]
    assert stored["kind"] == {"S": "drill"} and stored["id"] == {"S": drill_id}
    # The replication stamp (last writer wins) and a TTL, like every item of the table.
    assert stored["updated_region"] == {"S": A} and stored["version"] == {"N": "1"}
    expires = int(stored["expires_at"]["N"])
    assert 23 * 3600 < expires - int(stored["updated_at"]["N"]) // 1000 <= 24 * 3600

    read_a = httpx.get(f"{url_a}/api/drill-writes/{drill_id}")
    assert read_a.status_code == 200, read_a.text
    assert read_a.json()["written_region"] == A and read_a.json()["region"] == A
    assert read_a.headers["cache-control"] == "no-store"
    # B has not received it: 404, no read-your-writes fallback to the region that wrote it
    # (a drill must see a lost write as lost).
    read_b = httpx.get(f"{url_b}/api/drill-writes/{drill_id}")
    assert read_b.status_code == 404 and B in read_b.json()["error"]
    # Once replicated (the test plays the replicator), B holds it.
    system[B].dynamodb.put_item(TableName=_table(topo), Item=stored)
    read_b = httpx.get(f"{url_b}/api/drill-writes/{drill_id}")
    assert read_b.status_code == 200 and read_b.json() == {
        "id": drill_id,
        "region": B,
        "written_region": A,
        "written_at": int(stored["updated_at"]["N"]),
    }


def test_drill_records_never_show_where_users_browse(
    urls: tuple[str, str], make_app: AppFactory
) -> None:
    url_a, _ = urls
    drill_id = record_id(_run(), "new-york", 7)
    assert httpx.post(f"{url_a}/api/drill-writes", json={"id": drill_id}).status_code == 201
    with httpx.Client() as c:  # a real post next to it, so the list is not empty
        csrf = signup(c, url_a, f"u{uuid.uuid4().hex[:8]}")
        post = {"title": "A real post", "body": "b", "slug": f"real-{uuid.uuid4().hex[:8]}"}
        assert (
            c.post(f"{url_a}/api/posts", json=post, headers={"x-csrf-token": csrf}).status_code
            == 201
        )
    fresh = make_app(A, read_cache_s=0)  # no cached list from before the writes
    listed = httpx.get(f"{fresh}/api/posts").json()["posts"]
    assert any(p["slug"] == post["slug"] for p in listed)
    assert all(p["pk"].startswith("post#") for p in listed)
    for path in ("/", "/api/posts"):
        assert drill_id not in httpx.get(f"{fresh}{path}").text, path
    # Not a post either (the 404 page names the path it was asked for, nothing more).
    for path in (f"/posts/{drill_id}", f"/api/posts/{drill_id}"):
        assert httpx.get(f"{fresh}{path}").status_code == 404, path


def test_the_drill_cleanup_deletes_drill_records_in_every_region(
    urls: tuple[str, str], system: dict[str, RegionClients], topo: Topology
) -> None:
    url_a, url_b = urls
    run = _run()
    ids = [record_id(run, "paris", n) for n in range(3)]
    other = record_id(_run(), "paris", 0)  # another run's record stays
    for url, drill_id in ((url_a, ids[0]), (url_a, ids[1]), (url_b, ids[2]), (url_a, other)):
        assert httpx.post(f"{url}/api/drill-writes", json={"id": drill_id}).status_code == 201

    removed = remove_drill_records(topo.name, system, run_prefix(run))
    assert removed.errors == []
    assert removed.items == {f"{A} {_table(topo)}": 2, f"{B} {_table(topo)}": 1}
    for url in (url_a, url_b):
        for drill_id in ids:
            assert httpx.get(f"{url}/api/drill-writes/{drill_id}").status_code == 404
    assert httpx.get(f"{url_a}/api/drill-writes/{other}").status_code == 200


def _chunks(data: bytes) -> Iterator[bytes]:
    yield data[: len(data) // 2]
    yield data[len(data) // 2 :]


@pytest.mark.parametrize(
    ("content", "content_type", "status", "says"),
    [
        (b'{"id": "drill-ok-1"}', "text/plain", 415, "application/json"),
        (b'{"id": "drill-ok-1"}', "application/x-www-form-urlencoded", 415, "application/json"),
        (b"{not json", "application/json", 400, "not valid JSON"),
        (b"[" * 500, "application/json", 400, "not valid JSON"),
        (b'["drill-ok-1"]', "application/json", 400, "JSON object"),
        (b"{}", "application/json", 400, "'id'"),
        (b'{"id": 7}', "application/json", 400, "'id'"),
        (b'{"id": "drill-"}', "application/json", 400, "'id'"),
        (b'{"id": "Drill-UPPER"}', "application/json", 400, "'id'"),
        (b'{"id": "post#drill-x"}', "application/json", 400, "'id'"),
        (b'{"id": "drill-../../x"}', "application/json", 400, "'id'"),
        (b'{"id": "drill-a\\nb"}', "application/json", 400, "'id'"),
        (b'{"id": "drill-' + b"a" * 101 + b'"}', "application/json", 400, "'id'"),
        (b'{"id": "drill-ok-1", "text": "x"}', "application/json", 400, "'text'"),
        (b'{"id": "drill-' + b"a" * 2000 + b'"}', "application/json", 413, "1024 bytes"),
    ],
)
def test_bad_input_is_a_clear_4xx(
    urls: tuple[str, str], content: bytes, content_type: str, status: int, says: str
) -> None:
    r = httpx.post(
        f"{urls[0]}/api/drill-writes", content=content, headers={"content-type": content_type}
    )
    assert r.status_code == status, r.text
    assert says in r.json()["error"]


def test_an_oversized_body_is_413_declared_or_chunked(urls: tuple[str, str]) -> None:
    big = b'{"id": "drill-' + b"a" * DRILL_BODY_BYTES + b'"}'
    declared = httpx.post(f"{urls[0]}/api/drill-writes", content=big, headers=JSON)
    chunked = httpx.post(f"{urls[0]}/api/drill-writes", content=_chunks(big), headers=JSON)
    for r in (declared, chunked):
        assert r.status_code == 413, r.text
        assert f"{DRILL_BODY_BYTES} bytes" in r.json()["error"]
    assert "transfer-encoding" not in declared.request.headers
    assert chunked.request.headers["transfer-encoding"] == "chunked"


def test_an_unknown_or_malformed_id_reads_as_404(urls: tuple[str, str]) -> None:
    for drill_id in ("drill-never-written", "not-a-drill", "drill-" + "a" * 200, "DRILL-X"):
        r = httpx.get(f"{urls[0]}/api/drill-writes/{drill_id}")
        assert r.status_code == 404, (drill_id, r.text)
        assert r.json()["error"]
    # Only GET and POST exist.
    assert httpx.delete(f"{urls[0]}/api/drill-writes/drill-x").status_code == 405
