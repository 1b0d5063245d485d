"""Post logic shared by the HTML pages and the JSON API: validation, writes, reads with
read-your-writes. Writes are all-or-nothing: input is validated before anything is stored,
and a cover uploaded to S3 is deleted again if the DynamoDB write fails.
"""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request

from blog.consistency import ConsistencyToken
from blog.context import AppContext
from blog.data.assets import Image, cover_key
from blog.data.posts import Post, SlugTaken, VersionConflict, new_post_id
from blog.web import consistency_token, ctx

log = logging.getLogger("blog")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG, MAX_TITLE, MAX_BODY = 80, 200, 20_000
RESERVED_SLUGS = frozenset({"new"})  # /posts/new is the editor
LIST_SIZE = 50


class Invalid(HTTPException):
    """Bad user input: 400 with the field and what is allowed."""

    def __init__(self, detail: str) -> None:
        super().__init__(400, detail)


@dataclass(frozen=True, slots=True)
class PostFields:
    title: str
    body: str
    slug: str  # "" = derive from the title


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    slug = slug[:60].rstrip("-") or "post"
    return f"{slug}-post" if slug in RESERVED_SLUGS else slug


def validate(title: str, body: str, slug: str) -> PostFields:
    title, slug = title.strip(), slug.strip()
    if not 1 <= len(title) <= MAX_TITLE:
        raise Invalid(f"title: 1 to {MAX_TITLE} characters")
    if not 1 <= len(body) <= MAX_BODY:
        raise Invalid(f"body: 1 to {MAX_BODY} characters")
    if slug and (len(slug) > MAX_SLUG or not SLUG.match(slug)):
        raise Invalid(f"slug: up to {MAX_SLUG} of a-z and 0-9 in words joined by '-'")
    if slug in RESERVED_SLUGS:
        raise Invalid(f"slug: {slug!r} is reserved; choose another")
    return PostFields(title=title, body=body, slug=slug)


async def create(c: AppContext, fields: PostFields, author: str, cover: Image | None) -> Post:
    key = await _store_cover(c, cover)
    try:
        slug = fields.slug or slugify(fields.title)
        # One identity for this request: a retried write that finds it is ours, not a clash.
        post_id = new_post_id()
        for attempt in range(3):
            try:
                post = await c.run(
                    c.posts.create,
                    slug=slug,
                    title=fields.title,
                    body=fields.body,
                    author=author,
                    cover_key=key,
                    cover_type=cover.content_type if cover else None,
                    post_id=post_id,
                )
                break
            except SlugTaken as exc:
                if fields.slug or attempt == 2:  # an explicit slug is the user's choice
                    raise HTTPException(409, str(exc)) from None
                slug = f"{slugify(fields.title)}-{secrets.token_hex(3)}"
    except BaseException:
        await _drop_cover(c, key)
        raise
    c.invalidate()
    return post


async def update(
    c: AppContext, current: Post, fields: PostFields, user: str, version: int, cover: Image | None
) -> Post:
    if current.author != user:
        raise HTTPException(403, "only the author can edit this post")
    key = await _store_cover(c, cover)
    try:
        post = await c.run(
            c.posts.update,
            current.pk,
            expected_version=version,
            title=fields.title,
            body=fields.body,
            cover_key=key,
            cover_type=cover.content_type if cover else None,
        )
    except VersionConflict as exc:
        await _drop_cover(c, key)
        raise HTTPException(409, str(exc)) from None
    except BaseException:
        await _drop_cover(c, key)
        raise
    c.invalidate()
    return post


async def _store_cover(c: AppContext, cover: Image | None) -> str | None:
    if cover is None:
        return None
    key = cover_key(secrets.token_hex(6), cover)
    await c.run(c.assets.put, key, cover)
    return key


async def _drop_cover(c: AppContext, key: str | None) -> None:
    if key is not None:
        try:
            await c.run(c.assets.delete, key)
        except Exception:  # the original error matters more; an orphan image is harmless
            log.warning("could not delete orphan cover %s", key)


async def load(request: Request, slug: str) -> tuple[Post, str]:
    """The post for `slug` and where it was read ("cache", "local", "waited", ...); 404 if none.

    With the user's own fresh write in the session, the cache is bypassed and the replica is
    checked against the consistency token (consistency.py)."""
    c = ctx(request)
    source: str
    if len(slug) > MAX_SLUG or not SLUG.match(slug):
        raise HTTPException(404, f"no post at /posts/{slug[:MAX_SLUG]}")
    token = await consistency_token(request)
    if token is not None and token.hint == slug:
        seen = await c.run(c.posts.find_by_slug, slug)
        resolved = await c.ryw.resolve(token, seen if seen and seen.pk == token.key else None)
        post, source = resolved.item, resolved.source
    else:
        post, cached = await c.post_cache.get_or_fetch(
            slug, lambda: c.run(c.posts.find_by_slug, slug)
        )
        source = "cache" if cached else "local"
    if post is None:
        raise HTTPException(404, f"no post at /posts/{slug}")
    return post, source


async def recent(request: Request, token: ConsistencyToken | None) -> list[Post]:
    """Newest posts (cached), with the user's own latest write guaranteed to be current."""
    c = ctx(request)
    posts, _ = await c.list_cache.get_or_fetch("recent", lambda: c.run(c.posts.recent, LIST_SIZE))
    if token is None:
        return posts
    seen = next((p for p in posts if p.pk == token.key), None)
    resolved = await c.ryw.resolve(token, seen)
    if resolved.item is None or resolved.item is seen:
        return posts
    merged = [p for p in posts if p.pk != token.key] + [resolved.item]
    return sorted(merged, key=lambda p: p.created_at, reverse=True)[:LIST_SIZE]
