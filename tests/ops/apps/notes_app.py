"""A tiny app written only against the contract (docs/your-app.md), not against polyregion:
notes in one global table, the way a user's own Starlette app would do it.

Flags break it on purpose, for `polyregion verify`'s tests:
  --always-healthy   the health path says 200 whatever its table does
  --open-origin      the origin-verify header is ignored
"""

from __future__ import annotations

import os
import sys

import boto3
import uvicorn
from botocore.config import Config
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

FLAGS = set(sys.argv[1:])
REGION = os.environ["POLYREGION_REGION"]
TABLE = os.environ["POLYREGION_TABLE_NOTES"]
HEALTH = "/api/health"
# Bounded calls: the health answer must come within 2 s even when DynamoDB hangs.
DDB = boto3.client(
    "dynamodb",
    config=Config(connect_timeout=0.5, read_timeout=0.8, retries={"total_max_attempts": 1}),
)


class OriginVerify:
    """Refuse requests without the edge's secret header; the secret is read on first use (the
    region's endpoint may still be starting when the app does)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.secret_id = os.environ.get("POLYREGION_ORIGIN_VERIFY_SECRET")
        if "--open-origin" in FLAGS:
            self.secret_id = None
        header = os.environ.get("POLYREGION_ORIGIN_VERIFY_HEADER", "x-origin-verify")
        self.header = header.lower().encode()
        self.value: bytes | None = None

    def expected(self) -> bytes:
        if self.value is None:
            sm = boto3.client("secretsmanager")
            self.value = sm.get_secret_value(SecretId=self.secret_id)["SecretString"].encode()
        return self.value

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guarded = self.secret_id and scope["type"] == "http" and scope["path"] != HEALTH
        if guarded:
            try:
                allowed = dict(scope["headers"]).get(self.header) == self.expected()
            except Exception:  # secret unreadable: fail closed
                await Response("Service Unavailable", 503)(scope, receive, send)
                return
            if not allowed:
                await Response("Forbidden", 403)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def health(request: Request) -> Response:
    if "--always-healthy" in FLAGS:
        return JSONResponse({"status": "ok"})
    try:
        DDB.describe_table(TableName=TABLE)
    except Exception as exc:
        return JSONResponse({"status": "degraded", "error": type(exc).__name__}, 503)
    return JSONResponse({"status": "ok"})


async def create(request: Request) -> Response:
    data = await request.json()
    DDB.put_item(
        TableName=TABLE, Item={"id": {"S": str(data["id"])}, "text": {"S": str(data["text"])}}
    )
    return JSONResponse({"id": data["id"]}, 201)


def read(request: Request) -> Response:
    item = DDB.get_item(TableName=TABLE, Key={"id": {"S": request.path_params["id"]}})
    if "Item" not in item:
        return JSONResponse({"error": "not found"}, 404)
    return JSONResponse({"id": item["Item"]["id"]["S"], "text": item["Item"]["text"]["S"]})


def index(request: Request) -> Response:
    items = DDB.scan(TableName=TABLE, Limit=50).get("Items", [])
    # drill records are marked by their id prefix: users never see them
    notes = [i["id"]["S"] for i in items if not i["id"]["S"].startswith("drill-")]
    return JSONResponse({"notes": notes})


class RegionHeader:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def tagged(message: dict) -> None:  # type: ignore[type-arg]
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-polyregion-region", REGION.encode()))
            await send(message)

        await self.app(scope, receive, tagged)


def unavailable(request: Request, exc: Exception) -> Response:
    # The data store did not answer: 503 (retry shortly), the contract's degraded answer.
    return JSONResponse({"error": type(exc).__name__}, 503)


routes = [
    Route(HEALTH, health),
    Route("/", index),
    Route("/api/notes", create, methods=["POST"]),
    Route("/api/notes/{id}", read),
]
app = OriginVerify(
    RegionHeader(Starlette(routes=routes, exception_handlers={Exception: unavailable}))
)

if __name__ == "__main__":
    uvicorn.run(app, host=os.environ["HOST"], port=int(os.environ["PORT"]), log_level="warning")
