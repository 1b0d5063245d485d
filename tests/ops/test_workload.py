"""The drill workload: `[drill]` turned into requests, and the drill ids that mark records."""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx
import pytest

from polyregion.ops.appclient import AppClient
from polyregion.ops.workload import ID_PREFIX, Workload, record_id, run_prefix


@dataclass(frozen=True)
class Write:
    method: str = "POST"
    path: str = "/api/notes"
    body: str = '{"id": "{id}", "text": "drill {id}"}'
    content_type: str = "application/json"
    read_back: str = "/api/notes/{id}"


def test_every_literal_id_is_replaced_by_the_fresh_id() -> None:
    w = Workload(("/", "/api/notes"), Write(path="/api/{id}/notes"))
    rid = record_id("ab12cd", "new-york", 7)
    req = w.write_request(rid)
    assert req.method == "POST" and req.path == f"/api/{rid}/notes"
    assert json.loads(req.body) == {"id": rid, "text": f"drill {rid}"}
    assert w.read_back_path(rid) == f"/api/notes/{rid}"
    assert [w.read_path(n) for n in range(3)] == ["/", "/api/notes", "/"]


def test_drill_ids_are_marked_unique_and_safe_in_urls_and_json() -> None:
    rid = record_id("Run 1", "São Paulo", 3)
    assert rid.startswith(ID_PREFIX) and rid.startswith(run_prefix("Run 1"))
    assert rid == "drill-run-1-s-o-paulo-000003"
    assert record_id("r", "a", 1) != record_id("r", "a", 2) != record_id("s", "a", 1)
    assert len(record_id("a1b2c3", "x" * 200, 999_999)) <= 64


def test_a_workload_without_write_is_availability_only() -> None:
    w = Workload(("/",))
    assert not w.writes
    with pytest.raises(ValueError):
        w.write_request("drill-x")


def test_the_app_client_sends_the_declared_write_and_reads_it_back() -> None:
    seen: list[httpx.Request] = []
    store: set[str] = set()

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            store.add(json.loads(request.content)["id"])
            return httpx.Response(201, headers={"x-polyregion-region": "eu-west-1"})
        rid = request.url.path.rsplit("/", 1)[1]
        return httpx.Response(200 if rid in store else 404)

    http = httpx.Client(base_url="http://app", transport=httpx.MockTransport(handler))
    app = AppClient("paris", "http://app", Workload(("/",), Write()), client=http)
    rid = record_id("r", "paris", 0)
    write = app.write(0, rid)
    assert write.ok and write.key == rid and write.region == "eu-west-1" and write.seq == 0
    assert seen[0].headers["content-type"] == "application/json"
    assert app.read_back(rid).ok and app.read_back(rid).key == rid
    missing = app.read_back(record_id("r", "paris", 1))
    assert not missing.ok and missing.error == "HTTP 404"
    assert app.read(0).op == "read" and seen[-1].url.path == "/"
