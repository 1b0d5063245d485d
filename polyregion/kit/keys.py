"""Keys from a replicated Secrets Manager secret (the session secret, the origin-verify value).

Both `AWSCURRENT` and `AWSPREVIOUS` are kept, with their VersionIds, so a token signed just
before a rotation still verifies after it (nobody is logged out). Keys are cached in-process
for `session.secret_cache_s`; when Secrets Manager is unreachable the last known keys keep
serving (sessions survive a Secrets Manager outage; the health check reports it).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

CURRENT = "AWSCURRENT"
PREVIOUS = "AWSPREVIOUS"
# An unknown key id triggers a refresh (a rotation we have not seen yet), at most this often.
UNKNOWN_KID_REFRESH_S = 5.0


def derive(secret: bytes, purpose: str) -> bytes:
    """A 32-byte key per purpose (session, csrf) from the secret string: domain separation."""
    return hashlib.sha256(b"polyregion/" + purpose.encode() + b"\x00" + secret).digest()


@dataclass(frozen=True, slots=True)
class SigningKey:
    version_id: str
    secret: bytes

    def for_purpose(self, purpose: str) -> bytes:
        return derive(self.secret, purpose)


@dataclass(frozen=True, slots=True)
class KeySet:
    current: SigningKey
    previous: SigningKey | None
    fetched_at: float  # monotonic seconds

    def all(self) -> tuple[SigningKey, ...]:
        return (self.current,) if self.previous is None else (self.current, self.previous)

    def find(self, version_id: str) -> SigningKey | None:
        return next((k for k in self.all() if k.version_id == version_id), None)


class SecretKeyProvider:
    """Blocking (boto3): call it from a worker thread, or use `cached()` on the event loop."""

    def __init__(
        self,
        client: Callable[[], SecretsManagerClient],
        secret_id: str,
        *,
        max_age_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self.secret_id = secret_id
        self.max_age_s = max_age_s
        self._clock = clock
        self._keys: KeySet | None = None
        self._lock = threading.Lock()

    def cached(self) -> KeySet | None:
        """The keys if fresh enough, without any I/O (the fast path of every request)."""
        keys = self._keys
        if keys is not None and self._clock() - keys.fetched_at < self.max_age_s:
            return keys
        return None

    def get(self) -> KeySet:
        """Fresh keys; on a failed refresh, the stale ones if we have any."""
        keys = self.cached()
        if keys is not None:
            return keys
        with self._lock:  # one refresh at a time; the others get its result
            keys = self.cached()
            if keys is not None:
                return keys
            try:
                return self._refresh_locked()
            except Exception:
                if self._keys is not None:
                    return self._keys
                raise

    def refresh(self) -> KeySet:
        """Always calls Secrets Manager (health check, unknown key id). Raises on failure."""
        with self._lock:
            return self._refresh_locked()

    def refresh_for_unknown(self, version_id: str) -> KeySet:
        """Someone rotated: fetch again unless we did moments ago (bounds the cost of junk kids)."""
        with self._lock:
            keys = self._keys
            if keys is not None and (
                keys.find(version_id) is not None
                or self._clock() - keys.fetched_at < UNKNOWN_KID_REFRESH_S
            ):
                return keys
            try:
                return self._refresh_locked()
            except Exception:
                if keys is not None:
                    return keys
                raise

    def refresh_unless_recent(self) -> KeySet:
        """A presented value matched no key (origin verification): same bound as an unknown kid."""
        return self.refresh_for_unknown("")  # VersionIds are never empty: never "found"

    def probe(self) -> None:
        """One GetSecretValue (AWSCURRENT), outside the lock, caching nothing: a health check.

        Never through `refresh()`: a hung Secrets Manager would then hold the lock that
        requests needing fresh keys wait on."""
        self._fetch(self._client(), CURRENT)

    def _refresh_locked(self) -> KeySet:
        sm = self._client()
        current = self._fetch(sm, CURRENT)
        assert current is not None  # AWSCURRENT always exists; a failure raised above
        previous = self._fetch(sm, PREVIOUS)
        keys = KeySet(current=current, previous=previous, fetched_at=self._clock())
        self._keys = keys
        return keys

    def _fetch(self, sm: Any, stage: str) -> SigningKey | None:
        try:
            out = sm.get_secret_value(SecretId=self.secret_id, VersionStage=stage)
        except sm.exceptions.ResourceNotFoundException:
            if stage == PREVIOUS:
                return None  # never rotated
            raise
        value = out.get("SecretString")
        raw = value.encode() if value is not None else bytes(out["SecretBinary"])
        return SigningKey(version_id=str(out["VersionId"]), secret=raw)
