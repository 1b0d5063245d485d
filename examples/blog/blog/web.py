"""Request helpers shared by the pages and the JSON API: session, CSRF, cookies, rendering."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from blog.consistency import ConsistencyToken
from blog.context import AppContext
from polyregion.data.items import now_ms
from polyregion.kit import csrf
from polyregion.kit.keys import KeySet
from polyregion.kit.sessions import Session

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATES_DIR = Path(__file__).parent / "templates"
_UNSET: Any = object()
FORM_TEMPLATES = frozenset({"account.html", "post_form.html"})


def valid_text(value: str) -> bool:
    """Encodable as UTF-8: JSON's `\ud800` escapes decode to lone surrogates, which DynamoDB,
    S3 and scrypt cannot take (a 500 or 503 deep inside instead of a 400 at the door)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def ctx(request: Request) -> AppContext:
    context: AppContext = request.app.state.ctx
    return context


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def keyset(request: Request) -> KeySet:
    c = ctx(request)
    cached = c.keys.cached()
    return cached if cached is not None else await c.run(c.keys.get)


# -- sessions ------------------------------------------------------------------------------
async def current_session(request: Request) -> Session | None:
    """The signed-in session, or None; any bad cookie is just "signed out"."""
    found = getattr(request.state, "session", _UNSET)
    if found is not _UNSET:
        return found  # type: ignore[no-any-return]
    c = ctx(request)
    token = request.cookies.get(c.settings.topology.session.cookie_name)
    session = None
    if token:
        kid = c.sessions.key_id(token)
        if kid is not None:
            keys = await keyset(request)
            if keys.find(kid) is None:  # a rotation this region has not seen yet
                keys = await c.run(c.keys.refresh_for_unknown, kid)
            session = c.sessions.decode(token, keys)
    if session is not None and await c.run(c.revocations.is_revoked, session):
        session = None  # signed out (kit.Revocations): the cookie is a stale copy
    request.state.session = session
    return session


async def consistency_token(request: Request) -> ConsistencyToken | None:
    """The session's consistency token while it can still matter."""
    session = await current_session(request)
    if session is None or session.consistency is None:
        return None
    token = session.consistency
    return token if token.fresh(now_ms(), ctx(request).settings.consistency_token_ttl_s) else None


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=ctx(request).settings.secure_cookies,
    )


@dataclass(frozen=True, slots=True)
class NewSession:
    """A freshly minted session and CSRF token, to set as cookies on the response."""

    jwt: str
    csrf: str


async def start_session(request: Request, username: str) -> NewSession:
    keys = await keyset(request)
    issued_at = now_ms() // 1000
    jwt = ctx(request).sessions.mint(keys, username, issued_at=issued_at)
    return NewSession(jwt=jwt, csrf=csrf.new_token(keys, csrf.binding(username, issued_at)))


def set_session_cookies(request: Request, response: Response, new: NewSession) -> None:
    cfg = ctx(request).settings.topology.session
    _cookie(response, request, cfg.cookie_name, new.jwt, cfg.max_age_s)
    _cookie(response, request, csrf.COOKIE, new.csrf, cfg.max_age_s)


async def remember_write(request: Request, response: Response, token: ConsistencyToken) -> None:
    """Re-issue the session cookie carrying the consistency token of the user's latest write."""
    session = await current_session(request)
    if session is None:
        return
    c = ctx(request)
    keys = await keyset(request)
    cfg = c.settings.topology.session
    jwt = c.sessions.mint(
        keys,
        session.username,
        consistency=token,
        issued_at=session.issued_at,
        session_id=session.session_id,  # the same sign-in: a sign-out revokes this one too
    )
    _cookie(response, request, cfg.cookie_name, jwt, max(1, session.expires_at - now_ms() // 1000))


async def end_session(request: Request, response: Response) -> None:
    """Sign-out: revoke the session in every region (a copied cookie stops working), then
    clear the cookie. The revocation must be written here, or the sign-out fails (503)."""
    c = ctx(request)
    session = await current_session(request)
    if session is not None:
        await c.run(c.revocations.revoke, session)
    response.delete_cookie(c.settings.topology.session.cookie_name, path="/")


# -- CSRF ------------------------------------------------------------------------------------
async def _csrf_binding(request: Request) -> str:
    session = await current_session(request)
    if session is None:
        return csrf.SIGNED_OUT
    return csrf.binding(session.username, session.issued_at)


async def csrf_token(request: Request) -> str:
    """The browser's valid CSRF token for its session, or a new one to set on this response."""
    keys = await keyset(request)
    bound_to = await _csrf_binding(request)
    existing = request.cookies.get(csrf.COOKIE)
    if csrf.well_signed(existing, keys, bound_to):
        assert existing is not None
        return existing
    token = getattr(request.state, "csrf_new", None) or csrf.new_token(keys, bound_to)
    request.state.csrf_new = token
    return str(token)


def apply_csrf_cookie(request: Request, response: Response) -> None:
    token = getattr(request.state, "csrf_new", None)
    if token:
        _cookie(
            response, request, csrf.COOKIE, token, ctx(request).settings.topology.session.max_age_s
        )


async def require_csrf(request: Request, submitted: str | None) -> None:
    keys = await keyset(request)
    bound_to = await _csrf_binding(request)
    if not csrf.accept(submitted, request.cookies.get(csrf.COOKIE), keys, bound_to):
        raise HTTPException(
            403, "missing or invalid CSRF token: reload the page and submit the form again"
        )


# -- rendering -------------------------------------------------------------------------------
@cache
def templates() -> jinja2.Environment:
    # autoescape everywhere: post titles and bodies are user input.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True, auto_reload=False
    )


@cache
def asset_version() -> str:
    """Content hash in the static URL path: CloudFront's CachingOptimized ignores query strings."""
    h = hashlib.sha256()
    for f in sorted(STATIC_DIR.iterdir()):
        h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()[:12]


def static_url(name: str) -> str:
    return f"/static/{asset_version()}/{name}"


async def render(
    request: Request, template: str, status_code: int = 200, **values: Any
) -> HTMLResponse:
    c = ctx(request)
    try:
        session = await current_session(request)
    except Exception:  # error pages must render even when the secret is unreachable
        session = None
    token = ""
    # Only pages with a form need a token (signed-in pages carry the sign-out form): anonymous
    # reads set no cookie at all, which keeps them cheap and cacheable.
    if session is not None or template in FORM_TEMPLATES:
        try:
            token = await csrf_token(request)
        except Exception:  # the secret is unreachable: pages still render, forms will 403
            token = ""
    html = (
        templates()
        .get_template(template)
        .render(
            region=c.region,
            app_name=c.settings.topology.name,
            user=session.username if session else None,
            csrf_token=token,
            static_url=static_url,
            **values,
        )
    )
    response = HTMLResponse(html, status_code=status_code)
    apply_csrf_cookie(request, response)
    return response
