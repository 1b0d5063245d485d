"""The JSON API: the calls the failover drills drive through the real path (health: the
kit route mounted in asgi.py).

Field names are a contract with the drills (docs/app.md, "JSON API").
"""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from blog import posts as post_logic
from blog.consistency import token_for
from blog.data.users import MAX_PASSWORD, MIN_PASSWORD, USERNAME, UserExists
from blog.throttle import throttled_message, viewer_address
from blog.web import (
    consistency_token,
    ctx,
    current_session,
    end_session,
    remember_write,
    require_csrf,
    set_session_cookies,
    start_session,
    valid_text,
)
from polyregion.kit import csrf

NO_STORE = {"cache-control": "no-store"}


async def live(request: Request) -> Response:
    """Process is up and serving; touches no dependency (local liveness, never Route 53)."""
    return JSONResponse({"status": "live", "region": ctx(request).region}, headers=NO_STORE)


async def _json_body(request: Request) -> dict[str, Any]:
    """The JSON object in the body. Requiring application/json also defeats cross-site forms:
    a browser cannot send that content type cross-origin without a CORS preflight."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise HTTPException(415, "send a JSON object with content-type: application/json")
    try:
        data = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(400, "the body is not valid JSON") from None
    except RecursionError:  # `[` x 1000: the stdlib parser recurses once per level
        raise HTTPException(400, "the body is nested too deeply: send a flat JSON object") from None
    if not isinstance(data, dict):
        raise HTTPException(400, "the body must be a JSON object")
    return data


def _str_field(data: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise HTTPException(400, f"field {name!r} must be a string")
    if not valid_text(value):
        raise HTTPException(400, f"field {name!r} must be valid Unicode text (no lone surrogates)")
    return value


def _credentials(data: dict[str, Any]) -> tuple[str, str]:
    username = _str_field(data, "username").strip().lower()
    password = _str_field(data, "password")
    if not USERNAME.match(username):
        raise HTTPException(
            400, "username: 3-32 of a-z, 0-9, '_' or '-', starting with a letter or digit"
        )
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise HTTPException(400, f"password: {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return username, password


def _throttled(mode: str, wait: int | None) -> None:
    if wait is not None:
        raise HTTPException(429, throttled_message(mode, wait), headers={"retry-after": str(wait)})


async def create_user(request: Request) -> Response:
    c = ctx(request)
    username, password = _credentials(await _json_body(request))
    client = viewer_address(request)
    _throttled("signup", await c.run(c.throttle.signup_retry_after, client))
    await c.run(c.throttle.signup_attempted, client)
    try:
        await c.run(c.users.create, username, password)
    except UserExists as exc:
        raise HTTPException(409, str(exc)) from None
    if c.audit is not None:
        await c.run(c.audit.record, username, "signup", client)
    return await _signed_in_response(request, username, 201)


async def sign_in(request: Request) -> Response:
    c = ctx(request)
    username, password = _credentials(await _json_body(request))
    client = viewer_address(request)
    _throttled("signin", await c.run(c.throttle.signin_retry_after, username, client))
    user = await c.run(c.users.authenticate, username, password)
    if c.audit is not None:
        await c.run(c.audit.record, username, "ok" if user else "bad-password", client)
    if user is None:
        await c.run(c.throttle.signin_failed, username, client)
        raise HTTPException(401, "wrong username or password")
    return await _signed_in_response(request, username, 200)


async def sign_out(request: Request) -> Response:
    await require_csrf(request, request.headers.get(csrf.HEADER))
    response = JSONResponse({"signed_out": True})
    await end_session(request, response)
    return response


async def _signed_in_response(request: Request, username: str, status: int) -> Response:
    new = await start_session(request, username)
    body = {"username": username, "region": ctx(request).region, "csrf_token": new.csrf}
    response = JSONResponse(body, status_code=status)
    set_session_cookies(request, response, new)
    return response


async def _signed_in(request: Request) -> str:
    session = await current_session(request)
    if session is None:
        raise HTTPException(401, "sign in first: POST /api/session")
    await require_csrf(request, request.headers.get(csrf.HEADER))
    return session.username


async def create_post(request: Request) -> Response:
    c = ctx(request)
    username = await _signed_in(request)
    data = await _json_body(request)
    fields = post_logic.validate(
        _str_field(data, "title"),
        _str_field(data, "body"),
        _str_field(data, "slug", required=False),
    )
    post = await post_logic.create(c, fields, username, cover=None)
    response = JSONResponse({**post.to_json(), "region": c.region}, status_code=201)
    await remember_write(request, response, token_for(post))
    return response


async def update_post(request: Request) -> Response:
    c = ctx(request)
    username = await _signed_in(request)
    data = await _json_body(request)
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise HTTPException(400, "field 'version' must be the integer version you are editing")
    fields = post_logic.validate(_str_field(data, "title"), _str_field(data, "body"), "")
    current, _ = await post_logic.load(request, request.path_params["slug"])
    post = await post_logic.update(c, current, fields, username, version, cover=None)
    response = JSONResponse({**post.to_json(), "region": c.region})
    await remember_write(request, response, token_for(post))
    return response


async def get_post(request: Request) -> Response:
    c = ctx(request)
    post, source = await post_logic.load(request, request.path_params["slug"])
    return JSONResponse(
        {**post.to_json(), "region": c.region, "read_source": source},
        headers={**NO_STORE, "x-polyregion-read": source},
    )


async def list_posts(request: Request) -> Response:
    c = ctx(request)
    posts = await post_logic.recent(request, await consistency_token(request))
    return JSONResponse(
        {"region": c.region, "posts": [p.to_json() for p in posts]}, headers=NO_STORE
    )


def routes(health_path: str) -> list[Route]:
    return [
        Route(f"{health_path.rstrip('/')}/live", live, methods=["GET", "HEAD"]),
        Route("/api/users", create_user, methods=["POST"]),
        Route("/api/session", sign_in, methods=["POST"]),
        Route("/api/session", sign_out, methods=["DELETE"]),
        Route("/api/posts", list_posts, methods=["GET"]),
        Route("/api/posts", create_post, methods=["POST"]),
        Route("/api/posts/{slug}", get_post, methods=["GET"]),
        Route("/api/posts/{slug}", update_post, methods=["PUT"]),
    ]
