"""The HTML pages: list, read, sign up / in / out, create and edit posts, cover images."""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from blog import posts as post_logic
from blog.consistency import token_for
from blog.data.assets import Image, InvalidUpload, sniff
from blog.data.users import MAX_PASSWORD, MIN_PASSWORD, USERNAME, UserExists
from blog.settings import AppSettings
from blog.throttle import throttled_message, viewer_address
from blog.web import (
    consistency_token,
    ctx,
    current_session,
    end_session,
    remember_write,
    render,
    require_csrf,
    set_session_cookies,
    start_session,
    valid_text,
)
from polyregion.kit import csrf

# What assets.cover_key writes: covers/<random hex>/<sha256 prefix>.<extension>.
MEDIA_KEY = re.compile(r"covers/[A-Za-z0-9_-]{1,64}/[A-Za-z0-9_-]{1,64}\.[a-z0-9]{1,8}")


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)  # POST -> GET


async def _form(request: Request, max_part: int) -> FormData:
    form = await request.form(max_files=1, max_fields=10, max_part_size=max_part)
    value = form.get(csrf.FIELD)
    await require_csrf(request, value if isinstance(value, str) else None)
    return form


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    if not valid_text(value):
        raise HTTPException(400, f"the {name} is not valid Unicode text")
    return value


async def _cached_for_anonymous(request: Request) -> Response | None:
    """Signed-out readers all get the same HTML: serve it from the page cache if fresh."""
    if await current_session(request) is not None:
        return None
    hit, html = ctx(request).page_cache.get(request.url.path)
    if not hit or html is None:
        return None
    return HTMLResponse(html, headers={"x-polyregion-read": "cache"})


def _keep_for_anonymous(request: Request, response: Response) -> None:
    if response.status_code == 200 and getattr(request.state, "session", None) is None:
        ctx(request).page_cache.put(request.url.path, bytes(response.body))


async def index(request: Request) -> Response:
    cached = await _cached_for_anonymous(request)
    if cached is not None:
        return cached
    posts = await post_logic.recent(request, await consistency_token(request))
    response = await render(request, "index.html", posts=posts)
    _keep_for_anonymous(request, response)
    return response


async def show_post(request: Request) -> Response:
    cached = await _cached_for_anonymous(request)
    if cached is not None:
        return cached
    post, source = await post_logic.load(request, request.path_params["slug"])
    session = await current_session(request)
    response = await render(
        request, "post.html", post=post, can_edit=bool(session and session.username == post.author)
    )
    response.headers["x-polyregion-read"] = source
    _keep_for_anonymous(request, response)
    return response


# -- sign up / in / out --------------------------------------------------------------------
async def signup_form(request: Request) -> Response:
    return await render(request, "account.html", mode="signup")


async def signin_form(request: Request) -> Response:
    return await render(request, "account.html", mode="signin")


async def _account(request: Request, mode: str) -> Response:
    c = ctx(request)
    form = await _form(request, c.settings.max_body_bytes)
    username, password = _text(form, "username").strip().lower(), _text(form, "password")
    error = None
    if not USERNAME.match(username):
        error = "Username: 3-32 of a-z, 0-9, '_' or '-', starting with a letter or digit."
    elif not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        error = f"Password: {MIN_PASSWORD} to {MAX_PASSWORD} characters."
    client = viewer_address(request)
    status, headers = 400, {}
    if error is None:
        # Checked before any password is hashed: a throttled guess learns nothing.
        if mode == "signup":
            wait = await c.run(c.throttle.signup_retry_after, client)
        else:
            wait = await c.run(c.throttle.signin_retry_after, username, client)
        if wait is not None:
            status, headers = 429, {"retry-after": str(wait)}
            error = f"{throttled_message(mode, wait)}."
    if error is None and mode == "signup":
        await c.run(c.throttle.signup_attempted, client)
        try:
            await c.run(c.users.create, username, password)
        except UserExists as exc:
            error = f"{exc}."
        else:
            if c.audit is not None:
                await c.run(c.audit.record, username, "signup", client)
    elif error is None:
        user = await c.run(c.users.authenticate, username, password)
        if c.audit is not None:
            await c.run(c.audit.record, username, "ok" if user else "bad-password", client)
        if user is None:
            await c.run(c.throttle.signin_failed, username, client)
            status, error = 401, "Wrong username or password."
    if error is not None:
        page = await render(
            request, "account.html", status_code=status, mode=mode, error=error, username=username
        )
        page.headers.update(headers)
        return page
    response = _redirect("/")
    set_session_cookies(request, response, await start_session(request, username))
    return response


async def signup(request: Request) -> Response:
    return await _account(request, "signup")


async def signin(request: Request) -> Response:
    return await _account(request, "signin")


async def signout(request: Request) -> Response:
    await _form(request, ctx(request).settings.max_body_bytes)
    response = _redirect("/")
    await end_session(request, response)
    return response


# -- create / edit -----------------------------------------------------------------------
async def _author(request: Request) -> str | None:
    session = await current_session(request)
    return session.username if session else None


async def new_form(request: Request) -> Response:
    if await _author(request) is None:
        return _redirect("/signin")
    return await render(request, "post_form.html", post=None, values={})


async def _cover(form: FormData, settings: AppSettings) -> Image | None:
    upload = form.get("cover")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    data = await upload.read(settings.max_upload_bytes + 1)
    if not data:
        return None  # an empty file input: no cover
    return sniff(data, max_bytes=settings.max_upload_bytes)


async def _post_form(request: Request, post: Any) -> Response:
    c = ctx(request)
    author = await _author(request)
    if author is None:
        raise HTTPException(401, "sign in to write posts")
    form = await _form(request, c.settings.max_body_bytes)
    values = {k: _text(form, k) for k in ("title", "body", "slug", "version")}
    try:
        cover = await _cover(form, c.settings)
        fields = post_logic.validate(values["title"], values["body"], values["slug"])
        if post is None:
            saved = await post_logic.create(c, fields, author, cover)
        else:
            version = int(values["version"]) if values["version"].isdigit() else -1
            saved = await post_logic.update(c, post, fields, author, version, cover)
    except (InvalidUpload, post_logic.Invalid) as exc:
        message = str(exc) if isinstance(exc, InvalidUpload) else str(exc.detail)
        return await render(
            request, "post_form.html", status_code=400, post=post, values=values, error=message
        )
    except HTTPException as exc:
        if exc.status_code != 409:
            raise
        return await render(
            request, "post_form.html", status_code=409, post=post, values=values, error=exc.detail
        )
    response = _redirect(f"/posts/{saved.slug}")
    await remember_write(request, response, token_for(saved))
    return response


async def create_post(request: Request) -> Response:
    return await _post_form(request, None)


async def edit_form(request: Request) -> Response:
    author = await _author(request)
    if author is None:
        return _redirect("/signin")
    post, _ = await post_logic.load(request, request.path_params["slug"])
    if post.author != author:
        raise HTTPException(403, "only the author can edit this post")
    values = {"title": post.title, "body": post.body, "version": str(post.version)}
    return await render(request, "post_form.html", post=post, values=values)


async def edit_post(request: Request) -> Response:
    post, _ = await post_logic.load(request, request.path_params["slug"])
    return await _post_form(request, post)


async def media(request: Request) -> Response:
    """A cover image: local bucket first, then the region that wrote the post (CRR lag)."""
    c = ctx(request)
    key = request.path_params["key"]
    if not MEDIA_KEY.fullmatch(key):  # e.g. a NUL byte (%00): not a key we ever wrote
        raise HTTPException(404, "no such image")
    others = [r for r in c.settings.topology.region_names if r != c.region]
    found = await c.run(c.assets.get, key, others)
    if found is None:
        raise HTTPException(404, "no such image")
    data, _stored_type = found
    # The bucket's Content-Type is whatever its writer said: serve only what the bytes prove
    # is an image, with the type they prove (never text/html planted in the bucket).
    try:
        image = sniff(data, max_bytes=len(data))
    except InvalidUpload:
        raise HTTPException(404, "no such image") from None
    return Response(
        data,
        media_type=image.content_type,
        headers={
            "cache-control": "public, max-age=31536000, immutable",
            "x-content-type-options": "nosniff",
        },
    )


def routes(settings: AppSettings) -> list[Route]:
    upload = settings.upload_body_bytes
    return [
        # The hot read paths first: the router tries routes in order.
        Route("/", index, methods=["GET", "HEAD"]),
        Route("/posts/new", new_form, methods=["GET"]),  # before /posts/{slug}
        Route("/posts/new", create_post, methods=["POST"], max_body_size=upload),
        Route("/posts/{slug}", show_post, methods=["GET", "HEAD"]),
        Route("/signup", signup_form, methods=["GET"]),
        Route("/signup", signup, methods=["POST"]),
        Route("/signin", signin_form, methods=["GET"]),
        Route("/signin", signin, methods=["POST"]),
        Route("/signout", signout, methods=["POST"]),
        Route("/posts/{slug}/edit", edit_form, methods=["GET"]),
        Route("/posts/{slug}/edit", edit_post, methods=["POST"], max_body_size=upload),
        Route("/media/{key:path}", media, methods=["GET", "HEAD"]),
    ]
