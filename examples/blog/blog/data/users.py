"""Accounts in the global table (a session minted in one region is valid in all of them).

    pk = "user#<username>"  sk = "user"  username, password (scrypt), created_at, stamp

Passwords: stdlib scrypt (memory-hard) with a per-user salt, at OWASP's minimum cost
(N=2**17, r=8, p=1: 128 MiB and about half a second of CPU per hash). The parameters are stored
with each hash, so the cost can be raised without breaking old accounts: a successful sign-in
re-hashes a password stored with weaker parameters (`UserStore.authenticate`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from polyregion.data.items import (
    Clock,
    from_ddb,
    is_conditional_failure,
    key,
    now_ms,
    stamp,
    to_ddb,
)
from polyregion.errors import PolyregionError
from polyregion.topology import naming

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

USER_SK = "user"
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_-]{2,31}$")
MIN_PASSWORD, MAX_PASSWORD = 8, 256
DEFAULT_SCRYPT_N = 2**17  # OWASP password storage cheat sheet: N >= 2**17, r=8, p=1
SCRYPT_R, SCRYPT_P = 8, 1
DKLEN = 32
log = logging.getLogger(__name__)


def _maxmem(n: int, r: int) -> int:
    # scrypt needs 128*r*N bytes (plus a little): OpenSSL refuses a maxmem of exactly that.
    return 256 * n * r


class UserExists(PolyregionError):
    """The username is taken."""


def hash_password(password: str, *, n: int = DEFAULT_SCRYPT_N) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(),
        salt=salt,
        n=n,
        r=SCRYPT_R,
        p=SCRYPT_P,
        maxmem=_maxmem(n, SCRYPT_R),
        dklen=DKLEN,
    )
    b64 = base64.b64encode
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        n_, r_, p_ = int(n), int(r), int(p)
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=n_,
            r=r_,
            p=p_,
            maxmem=_maxmem(n_, r_),
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def needs_rehash(stored: str, *, n: int) -> bool:
    """True if `stored` was hashed with weaker parameters than (n, SCRYPT_R, SCRYPT_P)."""
    try:
        scheme, n_, r_, p_, _salt, digest = stored.split("$")
        weaker = int(n_) < n or int(r_) < SCRYPT_R or int(p_) < SCRYPT_P
        return scheme != "scrypt" or weaker or len(base64.b64decode(digest)) < DKLEN
    except ValueError:
        return True


@dataclass(frozen=True, slots=True)
class User:
    username: str
    created_at: int


class UserStore:
    def __init__(
        self,
        dynamodb: DynamoDBClient,
        table: str,
        region: str,
        *,
        scrypt_n: int = DEFAULT_SCRYPT_N,
        hash_slots: int = 4,
        clock: Clock = time.time,
    ) -> None:
        self.ddb = dynamodb
        self.table = table
        self.region = region
        self.scrypt_n = scrypt_n
        self._clock = clock
        # Each hash holds 128*r*N bytes: at most `hash_slots` at once bounds the process's
        # memory (the worker-thread pool alone would allow 40 x 128 MiB).
        self._slots = threading.BoundedSemaphore(hash_slots)
        self._dummy: str | None = None

    def _hash(self, password: str) -> str:
        with self._slots:
            return hash_password(password, n=self.scrypt_n)

    def _verify(self, password: str, stored: str) -> bool:
        with self._slots:
            return verify_password(password, stored)

    @property
    def dummy(self) -> str:
        # Compared against when the user does not exist, so timing does not reveal usernames.
        # Built on first use: it costs a full hash, which a cold start need not pay.
        if self._dummy is None:
            self._dummy = self._hash(secrets.token_hex(8))
        return self._dummy

    def create(self, username: str, password: str) -> User:
        hashed = self._hash(password)
        # The stamp is read after the hash (0.3-2 s), just before the write it stamps: last
        # writer wins compares it with writes made elsewhere meanwhile, and replication lag
        # is the time from it to the copies (1.8 s shown for 87 ms injected, issue 15).
        at = now_ms(self._clock)
        item = stamp(
            {
                "pk": f"user#{username}",
                "sk": USER_SK,
                "username": username,
                "password": hashed,
                "created_at": at,
            },
            region=self.region,
            version=1,
            at_ms=at,
        )
        try:
            self.ddb.put_item(
                TableName=self.table,
                Item=to_ddb(item),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except Exception as exc:
            if is_conditional_failure(exc):
                raise UserExists(f"the username {username!r} is taken") from None
            raise
        return User(username=username, created_at=at)

    def authenticate(self, username: str, password: str) -> User | None:
        out = self.ddb.get_item(TableName=self.table, Key=key(f"user#{username}", USER_SK))
        item = from_ddb(out["Item"]) if out.get("Item") else None
        if item is None:
            self._verify(password, self.dummy)
            return None
        stored = str(item.get("password", ""))
        if not self._verify(password, stored):
            return None
        if needs_rehash(stored, n=self.scrypt_n):
            self._upgrade(username, stored, password)
        return User(username=item["username"], created_at=int(item.get("created_at", 0)))

    def _upgrade(self, username: str, stored: str, password: str) -> None:
        """Re-hash at today's cost; only if the hash is still the one we checked (no race
        with a password change). Best effort: the sign-in succeeds anyway, the next retries."""
        at = now_ms(self._clock)
        try:
            self.ddb.update_item(
                TableName=self.table,
                Key=key(f"user#{username}", USER_SK),
                UpdateExpression="SET #pw = :new, #at = :at, #rg = :rg ADD #v :one",
                ConditionExpression="#pw = :old",
                ExpressionAttributeNames={
                    "#pw": "password",
                    "#at": naming.UPDATED_AT,
                    "#rg": naming.UPDATED_REGION,
                    "#v": naming.VERSION,
                },
                ExpressionAttributeValues=to_ddb(
                    {
                        ":new": self._hash(password),
                        ":old": stored,
                        ":at": at,
                        ":rg": self.region,
                        ":one": 1,
                    }
                ),
            )
        except Exception as exc:  # a failed upgrade must not fail a correct sign-in
            if not is_conditional_failure(exc):
                log.warning("password re-hash of a user failed: %s", type(exc).__name__)
