"""Session-less drill writes: what the topology's `[drill.write]` drives (docs/app.md, "JSON
API", and docs/drills.md).

A failover drill counts lost writes by writing records through every location and reading each
one back from every region afterwards. A post needs a signed-in session and a CSRF token, which
a drill does not have, so the blog offers a narrower write instead:

    POST /api/drill-writes       {"id": "drill-..."}  -> 201, stored in the LOCAL replica
    GET  /api/drill-writes/{id}                       -> 200 / 404, read from the LOCAL replica

Why no session and no CSRF token is safe here: the only thing this endpoint can do is put one
small record, keyed by the caller's own id, under a key space nothing else uses
(`pk = "drill#<id>"`, `sk = "drill"`, `kind = "drill"`). It reads no cookie, so a cross-site
request has no ambient authority to borrow (what CSRF tokens protect); it still requires
`content-type: application/json`, which a cross-site form cannot send without a CORS
preflight the blog never answers. Drill records are never posts: the list queries `kind =
"post"` and the post page `by-slug` (a drill record has no slug), so nothing a user browses
shows them. The body is capped at DRILL_BODY_BYTES, the id at 106 characters, and every record
expires through the table's TTL attribute after a day, so an abandoned drill (or someone
writing junk) leaves nothing behind for long; the drill's own cleanup (polyregion/ops/
cleanup.py) deletes them as soon as its report is written.

The read-back has no read-your-writes fallback on purpose: a drill asks "does THIS region hold
the write?", and a fallback to the region that wrote it would hide a lost write.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from blog.web import ctx
from polyregion.data.items import from_ddb, key, now_ms, stamp, to_ddb

PATH: Final = "/api/drill-writes"
DRILL_ID: Final = re.compile(r"drill-[a-z0-9-]{1,100}")
ID_RULE: Final = "^drill-[a-z0-9-]{1,100}$"
KIND: Final = "drill"
SK: Final = "drill"
DRILL_BODY_BYTES: Final = 1024  # {"id": "<106 characters>"} with room to spare
TTL_S: Final = 24 * 3600  # a record nobody cleaned up expires (the table's expires_at)
NO_STORE: Final = {"cache-control": "no-store"}


def pk(drill_id: str) -> str:
    return f"drill#{drill_id}"


def too_large() -> str:
    return f"the request body is too large: a drill write is at most {DRILL_BODY_BYTES} bytes"


def _parse(body: bytes, content_type: str) -> str:
    """The drill id of a POST body, or an HTTPException naming what is wrong."""
    if content_type.split(";")[0].strip() != "application/json":
        raise HTTPException(415, "send a JSON object with content-type: application/json")
    if len(body) > DRILL_BODY_BYTES:  # a chunked body (a declared length is refused earlier)
        raise HTTPException(413, too_large())
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise HTTPException(400, 'the body is not valid JSON: send {"id": "drill-..."}') from None
    if not isinstance(data, dict):
        raise HTTPException(400, 'the body must be a JSON object: {"id": "drill-..."}')
    unknown = sorted(set(data) - {"id"})
    if unknown:
        raise HTTPException(400, f"unknown field {unknown[0]!r}: a drill write has only 'id'")
    drill_id = data.get("id")
    if not isinstance(drill_id, str) or not DRILL_ID.fullmatch(drill_id):
        raise HTTPException(400, f"field 'id' must match {ID_RULE} (e.g. drill-run1-paris-000001)")
    return drill_id


def _item(drill_id: str, region: str, at_ms: int) -> dict[str, Any]:
    return stamp(
        {
            "pk": pk(drill_id),
            "sk": SK,
            "kind": KIND,
            "id": drill_id,
            "expires_at": at_ms // 1000 + TTL_S,
        },
        region=region,
        version=1,
        at_ms=at_ms,
    )


async def create(request: Request) -> Response:
    c = ctx(request)
    drill_id = _parse(await request.body(), request.headers.get("content-type", ""))
    item = _item(drill_id, c.region, now_ms())
    ddb = c.clients(c.region).dynamodb
    await c.run(ddb.put_item, TableName=c.table, Item=to_ddb(item))
    return JSONResponse(
        {"id": drill_id, "region": c.region},
        status_code=201,
        headers={**NO_STORE, "location": f"{PATH}/{drill_id}"},
    )


async def read(request: Request) -> Response:
    c = ctx(request)
    drill_id = request.path_params["id"]
    found = None
    if DRILL_ID.fullmatch(drill_id):
        ddb = c.clients(c.region).dynamodb
        out = await c.run(
            ddb.get_item, TableName=c.table, Key=key(pk(drill_id), SK), ConsistentRead=True
        )
        found = out.get("Item")
    if not found:
        raise HTTPException(404, f"this region ({c.region}) holds no drill record {drill_id!r}")
    item = from_ddb(found)
    body = {
        "id": item["id"],
        "region": c.region,
        "written_region": item.get("updated_region", ""),
        "written_at": item.get("updated_at", 0),
    }
    return JSONResponse(body, headers=NO_STORE)


def routes() -> list[Route]:
    return [
        Route(PATH, create, methods=["POST"]),
        Route(f"{PATH}/{{id}}", read, methods=["GET"]),
    ]
