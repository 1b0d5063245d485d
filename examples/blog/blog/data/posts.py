"""Posts in the global table: list (GSI `by-kind`), read by slug (GSI `by-slug`), create, edit.

Item layout (single-table design, see topology.naming):

    pk = "post#<id>"   sk = "post"   kind = "post"   slug, title, body, author, created_at,
    cover_key?, cover_type?, updated_at, updated_region, version
    pk = "slug#<slug>" sk = "slug"   post = "post#<id>"  (claims the slug; same stamp)

A write goes to the local replica and is confirmed by a strongly consistent local read, as
the article's `createPost` does. Conditions (slug free, expected version) are evaluated
against the local replica only: across regions, last writer wins (docs/app.md).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from polyregion.data.items import (
    Clock,
    error_code,
    from_ddb,
    is_conditional_failure,
    key,
    now_ms,
    stamp,
    to_ddb,
)
from polyregion.errors import PolyregionError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

POST_SK = "post"
SLUG_SK = "slug"
KIND = "post"
IDEMPOTENT_MISMATCH = "IdempotentParameterMismatchException"


class SlugTaken(PolyregionError):
    """Another post already uses this slug."""


class VersionConflict(PolyregionError):
    """The post changed since the editor loaded it."""


@dataclass(frozen=True, slots=True)
class Post:
    pk: str
    slug: str
    title: str
    body: str
    author: str
    created_at: int
    updated_at: int
    updated_region: str
    version: int
    cover_key: str | None = None
    cover_type: str | None = None

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Post:
        return cls(
            pk=item["pk"],
            slug=item["slug"],
            title=item.get("title", ""),
            body=item.get("body", ""),
            author=item.get("author", ""),
            created_at=int(item.get("created_at", 0)),
            updated_at=int(item.get("updated_at", 0)),
            updated_region=item.get("updated_region", ""),
            version=int(item.get("version", 0)),
            cover_key=item.get("cover_key"),
            cover_type=item.get("cover_type"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "pk": self.pk,
            "slug": self.slug,
            "title": self.title,
            "body": self.body,
            "author": self.author,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "updated_region": self.updated_region,
            "version": self.version,
            "cover_key": self.cover_key,
        }


class PostStore:
    """Blocking (boto3): the app calls it from worker threads."""

    def __init__(
        self, dynamodb: DynamoDBClient, table: str, region: str, clock: Clock = time.time
    ) -> None:
        self.ddb = dynamodb
        self.table = table
        self.region = region
        self._clock = clock

    # -- reads -------------------------------------------------------------------------
    def get(self, pk: str, *, consistent: bool = False) -> Post | None:
        out = self.ddb.get_item(
            TableName=self.table, Key=key(pk, POST_SK), ConsistentRead=consistent
        )
        item = out.get("Item")
        return Post.from_item(from_ddb(item)) if item else None

    def find_by_slug(self, slug: str) -> Post | None:
        """GSI `by-slug` (eventually consistent, like every GSI). Oldest post wins a clash."""
        out = self.ddb.query(
            TableName=self.table,
            IndexName="by-slug",
            KeyConditionExpression="slug = :s",
            ExpressionAttributeValues={":s": {"S": slug}},
        )
        posts = [from_ddb(i) for i in out.get("Items", [])]
        posts = [p for p in posts if p.get("kind") == KIND]
        if not posts:
            return None
        return Post.from_item(min(posts, key=lambda p: (p.get("created_at", 0), p["pk"])))

    def recent(self, limit: int = 50) -> list[Post]:
        out = self.ddb.query(
            TableName=self.table,
            IndexName="by-kind",
            KeyConditionExpression="kind = :k",
            ExpressionAttributeValues={":k": {"S": KIND}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [Post.from_item(from_ddb(i)) for i in out.get("Items", [])]

    # -- writes ------------------------------------------------------------------------
    def create(
        self,
        *,
        slug: str,
        title: str,
        body: str,
        author: str,
        cover_key: str | None = None,
        cover_type: str | None = None,
        post_id: str | None = None,
    ) -> Post:
        """Claim the slug and put the post in one transaction, then confirm with a strong read.

        Idempotent per `post_id` (the identity of one create request; random if omitted): a
        create that finds its own earlier write (an SDK retry after a lost response, or the
        caller repeating itself) returns that post instead of SlugTaken."""
        at = now_ms(self._clock)
        pk = f"post#{post_id or new_post_id()}"
        post = stamp(
            {
                "pk": pk,
                "sk": POST_SK,
                "kind": KIND,
                "slug": slug,
                "title": title,
                "body": body,
                "author": author,
                "created_at": at,
                "cover_key": cover_key,
                "cover_type": cover_type,
            },
            region=self.region,
            version=1,
            at_ms=at,
        )
        claim = stamp(
            {"pk": f"slug#{slug}", "sk": SLUG_SK, "post": pk},
            region=self.region,
            version=1,
            at_ms=at,
        )
        absent = "attribute_not_exists(pk)"
        try:
            self.ddb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": to_ddb(claim),
                            "ConditionExpression": absent,
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": to_ddb(post),
                            "ConditionExpression": absent,
                        }
                    },
                ],
                # botocore sends one token for a call and all its retries: on AWS a retry
                # of a transaction that succeeded is a no-op success for 10 minutes. Ours is
                # derived from the request so its meaning is explicit; moto ignores it, and
                # so does AWS after 10 minutes: `_own_write` below covers both.
                ClientRequestToken=request_token(pk, slug),
            )
        except Exception as exc:
            if not is_conditional_failure(exc) and error_code(exc) != IDEMPOTENT_MISMATCH:
                raise
            mine = self._own_write(pk, slug=slug, author=author)
            if mine is not None:
                return mine
            if error_code(exc) == IDEMPOTENT_MISMATCH or not _claim_refused(exc):
                raise  # not a slug clash (a conflicting transaction, a reused post id)
            raise SlugTaken(f"the slug {slug!r} is taken; choose another") from None
        return self._confirm(pk)

    def _own_write(self, pk: str, *, slug: str, author: str) -> Post | None:
        """The post `pk` if an earlier attempt of this very create already stored it.

        Checked on the post item (strong read) rather than on the slug claim: another region
        may overwrite the claim (last writer wins), while a post keeps its slug and author."""
        post = self.get(pk, consistent=True)
        if post is not None and (post.slug, post.author) == (slug, author):
            return post
        return None

    def update(
        self,
        pk: str,
        *,
        expected_version: int,
        title: str,
        body: str,
        cover_key: str | None = None,
        cover_type: str | None = None,
    ) -> Post:
        """Optimistic update: only if the local replica still holds `expected_version`."""
        at = now_ms(self._clock)
        names = {
            "#t": "title",
            "#b": "body",
            "#u": "updated_at",
            "#r": "updated_region",
            "#v": "version",
        }
        values: dict[str, Any] = {
            ":t": {"S": title},
            ":b": {"S": body},
            ":u": {"N": str(at)},
            ":r": {"S": self.region},
            ":v": {"N": str(expected_version + 1)},
            ":e": {"N": str(expected_version)},
        }
        sets = "#t = :t, #b = :b, #u = :u, #r = :r, #v = :v"
        if cover_key is not None and cover_type is not None:
            names.update({"#ck": "cover_key", "#ct": "cover_type"})
            values.update({":ck": {"S": cover_key}, ":ct": {"S": cover_type}})
            sets += ", #ck = :ck, #ct = :ct"
        try:
            self.ddb.update_item(
                TableName=self.table,
                Key=key(pk, POST_SK),
                UpdateExpression=f"SET {sets}",
                ConditionExpression="attribute_exists(pk) AND #v = :e",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except Exception as exc:
            if is_conditional_failure(exc):
                raise VersionConflict(
                    "this post changed since you opened it; reload and apply your edit again"
                ) from None
            raise
        return self._confirm(pk)

    def _confirm(self, pk: str) -> Post:
        post = self.get(pk, consistent=True)
        if post is None:  # cannot happen after a successful local write: say so loudly
            raise RuntimeError(f"{pk} not readable right after its write")
        return post


def new_post_id() -> str:
    return secrets.token_hex(8)


def request_token(pk: str, slug: str) -> str:
    """A ClientRequestToken (at most 36 characters) for creating `pk` under `slug`.

    The slug is part of it: the app may try one post id under another slug after a clash,
    and AWS rejects a token reused with other parameters (IdempotentParameterMismatch)."""
    return hashlib.sha256(f"{pk}\n{slug}".encode()).hexdigest()[:32]


def _claim_refused(exc: BaseException) -> bool:
    """Whether the slug claim (the first item of the transaction) is held by another write:
    it failed its condition, or another transaction is claiming it at this very moment."""
    reasons = getattr(exc, "response", {}).get("CancellationReasons") or []
    if error_code(exc) != "TransactionCanceledException" or not reasons:
        return True  # a plain conditional failure, or no detail: the claim is the condition
    return reasons[0].get("Code") in ("ConditionalCheckFailed", "TransactionConflict")
