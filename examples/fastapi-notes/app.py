"""Notes: a small FastAPI app that runs in every region, on polyregion.kit.

Everything it needs comes from the environment the sandbox (and the deploy) gives every app:
boto3 reads AWS_REGION and AWS_ENDPOINT_URL itself, table names come from
POLYREGION_TABLE_<NAME>, the session secret's id from POLYREGION_SECRET_SESSION. Run it with
`python app.py` (it listens on $HOST:$PORT) or `polyregion up --config polyregion.toml`.
"""

from __future__ import annotations

import html
import time
import uuid
from typing import Any

import boto3
import uvicorn
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from polyregion import kit

env = kit.AppEnv.from_env()
NOTES = env.table("notes")  # global: replicated to every region
AUDIT = env.table("audit")  # regional: never leaves this region
dynamodb = boto3.client("dynamodb")  # this region (AWS_REGION, AWS_ENDPOINT_URL)
remote = kit.ClientPool(env, kit.REMOTE_CLIENT_CONFIG)  # other regions, fail-fast

health = kit.health_checker(env)  # every declared table, bucket and the session secret
sessions = kit.sessions(env, issuer="notes")
app = FastAPI(title="notes")
app.router.routes.append(kit.health_route(health, "/api/health"))
origin = kit.origin_keys(env)
if origin is not None:  # only requests through the CDN get in (health excepted)
    app.add_middleware(
        kit.OriginGuard,
        header=env.origin_verify_header,
        keys=origin,
        open_paths={"/api/health"},
        health=health,
    )


class NoteIn(BaseModel):
    id: str = Field(default_factory=lambda: uuid.uuid4().hex, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    text: str = Field(min_length=1, max_length=2000)


def note_json(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["id"]["S"],
        "text": item["text"]["S"],
        "version": int(item["version"]["N"]),
        "updated_region": item["updated_region"]["S"],
    }


def read_note(region: str, note_id: str, *, consistent: bool = True) -> dict[str, Any] | None:
    client = dynamodb if region == env.region else remote(region).dynamodb
    out = client.get_item(TableName=NOTES, Key={"id": {"S": note_id}}, ConsistentRead=consistent)
    return out.get("Item")


ryw: kit.ReadYourWrites[dict[str, Any]] = kit.ReadYourWrites(
    env.region, read_note, lambda item: int(item["version"]["N"])
)


@app.post("/api/notes", status_code=201)
def create_note(note: NoteIn, request: Request, response: Response) -> dict[str, Any]:
    now = int(time.time() * 1000)
    old = read_note(env.region, note.id)
    version = int(old["version"]["N"]) + 1 if old else 1
    # updated_at / updated_region / version: how replication settles concurrent writes.
    item = {
        "id": {"S": note.id},
        "text": {"S": note.text},
        "version": {"N": str(version)},
        "updated_at": {"N": str(now)},
        "updated_region": {"S": env.region},
    }
    dynamodb.put_item(TableName=NOTES, Item=item)
    dynamodb.put_item(
        TableName=AUDIT,
        Item={"region": {"S": env.region}, "at": {"S": f"{now}#{note.id}"}, "note": {"S": note.id}},
    )
    # The writer's session remembers this write, so their next read anywhere sees it.
    session = sessions.read(request.cookies.get(sessions.cookie_name))
    token = kit.ConsistencyToken(env.region, note.id, version, now)
    if session is None:
        cookie = sessions.issue(f"guest-{uuid.uuid4().hex[:12]}", consistency=token)
    else:
        cookie = sessions.reissue(session, token)
    response.set_cookie(**sessions.cookie(sessions.cookie_name, cookie))
    return {**note_json(item), "region": env.region}


@app.get("/api/notes/{note_id}")
async def get_note(note_id: str, request: Request) -> JSONResponse:
    seen = await run_in_threadpool(read_note, env.region, note_id, consistent=False)
    source = "local"
    cookie = request.cookies.get(sessions.cookie_name)
    session = await run_in_threadpool(sessions.read, cookie) if cookie else None
    token = session.consistency if session else None
    if token is not None and token.key == note_id and token.fresh(int(time.time() * 1000)):
        try:
            resolved = await ryw.resolve(token, seen)
        except kit.StillReplicating as exc:
            raise HTTPException(503, str(exc), headers={"retry-after": "2"}) from exc
        seen, source = resolved.item, resolved.source
    if seen is None:
        raise HTTPException(404, f"no note {note_id!r}")
    return JSONResponse(
        {**note_json(seen), "region": env.region, "read_source": source},
        headers={"x-polyregion-read": source},
    )


@app.get("/api/notes")
def list_notes() -> dict[str, Any]:
    items = dynamodb.scan(TableName=NOTES, Limit=50).get("Items", [])
    return {"region": env.region, "notes": [note_json(i) for i in items]}


@app.get("/", response_class=HTMLResponse)
def index() -> str:
    notes = list_notes()["notes"]
    rows = "".join(f"<li>{html.escape(n['text'])}</li>" for n in notes)
    return f"<h1>Notes</h1><p>served by {html.escape(env.region)}</p><ul>{rows}</ul>"


if __name__ == "__main__":
    uvicorn.run(app, host=env.host, port=env.port, log_level="warning")
