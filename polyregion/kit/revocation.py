"""Session revocation: sign-out makes the token useless in every region, not just the browser.

A session is a self-contained JWT, valid in every region until it expires (7 days by default);
deleting the cookie does nothing against a copy. So sign-out writes a *revocation record* for
the session's id to a global (replicated) table, and every authenticated request checks it:

- the record's key is `revoked#<session id>`, with `expires_at` = the token's own expiry (the
  table's TTL attribute: the record disappears when the token would have anyway);
- it is written to this region's replica, then *directly* to every other region's replica
  (their regional endpoints, fail-fast clients, in parallel, bounded by `remote_timeout_s`);
  it also replicates like any item, for a region that could not be reached;
- a check is one strongly consistent GetItem on the local replica; a "not revoked" answer is
  remembered for `cache_s` (1 s) per session in the process, so a burst of one user's requests
  costs one read per second, not one per request.

The window, documented and bounded: in this region and in every region that acknowledged the
direct write, the session is refused at most `cache_s` after sign-out answers (at once in the
process that signed out). A region that did not
acknowledge (down or partitioned at that moment) accepts the old token until replication
delivers the record, which happens as soon as it is reachable again; sign-out reports which
regions acknowledged, and the app can tell the user. Records are written with the item
attributes replication needs (`updated_at`, `updated_region`, `version`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from typing import Any

from polyregion.kit.sessions import Session

log = logging.getLogger("polyregion.kit.revocation")
PREFIX = "revoked#"
MAX_REMEMBERED = 10_000


class Revocations:
    """Revocation records in `table` (a global table): `revoke()` on sign-out, `is_revoked()`
    on every authenticated request. Blocking (boto3): call from a worker thread.

    `dynamodb(region)` is a DynamoDB client for a region; `remote_dynamodb(region)` one with
    fail-fast settings for the direct writes to other regions (default: the same)."""

    def __init__(
        self,
        table: str,
        region: str,
        regions: tuple[str, ...],
        dynamodb: Callable[[str], Any],
        *,
        remote_dynamodb: Callable[[str], Any] | None = None,
        partition_key: str = "id",
        sort_key: str | None = None,
        ttl_attribute: str = "expires_at",
        remote_timeout_s: float = 1.0,
        cache_s: float = 1.0,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.table = table
        self.region = region
        self.other_regions = tuple(r for r in regions if r != region)
        self.dynamodb = dynamodb
        self.remote_dynamodb = remote_dynamodb or dynamodb
        self.partition_key = partition_key
        self.sort_key = sort_key
        self.ttl_attribute = ttl_attribute
        self.remote_timeout_s = remote_timeout_s
        self._clock = clock
        self._monotonic = monotonic
        self.cache_s = cache_s
        self._valid: dict[str, float] = {}  # session id -> when it was last seen not revoked
        self._pool: ThreadPoolExecutor | None = None

    def warm(self) -> None:
        """Build every region's client now (blocking; before serving): building one loads
        service models, hundreds of ms that must not eat the sign-out's time bound."""
        self.dynamodb(self.region)
        for region in self.other_regions:
            self.remote_dynamodb(region)

    def key(self, session_id: str) -> dict[str, Any]:
        key: dict[str, Any] = {self.partition_key: {"S": PREFIX + session_id}}
        if self.sort_key:
            key[self.sort_key] = {"S": "revoked"}
        return key

    def _item(self, session: Session) -> dict[str, Any]:
        now_ms = int(self._clock() * 1000)
        return {
            **self.key(session.session_id),
            self.ttl_attribute: {"N": str(session.expires_at)},
            "updated_at": {"N": str(now_ms)},
            "updated_region": {"S": self.region},
            "version": {"N": "1"},
        }

    def revoke(self, session: Session) -> tuple[str, ...]:
        """Write the record here (raises if that fails: the user must not think they are
        signed out), then to every other region directly. The regions that acknowledged."""
        item = self._item(session)
        self.dynamodb(self.region).put_item(TableName=self.table, Item=item)
        self._valid.pop(session.session_id, None)  # this process refuses it at once
        others = self.other_regions
        if not others:
            return (self.region,)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max(4, len(others)), thread_name_prefix="revoke")
        futures = {
            r: self._pool.submit(self._put_remote, r, item) for r in others
        }  # in parallel: the slowest region bounds sign-out, not their sum
        wait_futures(futures.values(), timeout=self.remote_timeout_s)
        acked = [self.region]
        for region, fut in futures.items():
            if fut.done() and fut.exception() is None:
                acked.append(region)
            else:
                log.warning(
                    "revocation not written to %s directly; it arrives by replication", region
                )
        return tuple(acked)

    def _put_remote(self, region: str, item: dict[str, Any]) -> None:
        self.remote_dynamodb(region).put_item(TableName=self.table, Item=item)

    def is_revoked(self, session: Session) -> bool:
        """One strongly consistent read of the local replica. Raises when the table cannot be
        read: an authenticated request then fails (503) rather than skip the check."""
        sid = session.session_id
        seen = self._valid.get(sid)
        if seen is not None and self._monotonic() - seen < self.cache_s:
            return False
        out = self.dynamodb(self.region).get_item(
            TableName=self.table, Key=self.key(sid), ConsistentRead=True
        )
        item = out.get("Item")
        if item is None:
            if len(self._valid) >= MAX_REMEMBERED:
                self._valid.clear()  # bounded memory; costs one read per session again
            self._valid[sid] = self._monotonic()
            return False
        expires = item.get(self.ttl_attribute, {}).get("N")
        # TTL deletion lags (up to days on AWS): an expired record no longer matters, and the
        # token it names has expired too.
        return expires is None or int(expires) > int(self._clock())
