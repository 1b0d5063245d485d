"""Accounts in the global table (a session minted in one region is valid in all of them).

    pk = "user#<username>"  sk = "user"  username, password (scrypt), created_at, stamp

Passwords: stdlib scrypt (memory-hard) with a per-user salt; the parameters are stored with
the hash so they can be raised later without breaking old accounts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
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

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

USER_SK = "user"
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_-]{2,31}$")
MIN_PASSWORD, MAX_PASSWORD = 8, 256
SCRYPT_R, SCRYPT_P = 8, 1


class UserExists(PolyregionError):
    """The username is taken."""


def hash_password(password: str, *, n: int = 2**14) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(),
        salt=salt,
        n=n,
        r=SCRYPT_R,
        p=SCRYPT_P,
        maxmem=256 * n * SCRYPT_R,
        dklen=32,
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
            maxmem=256 * n_ * r_,
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


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
        scrypt_n: int = 2**14,
        clock: Clock = time.time,
    ) -> None:
        self.ddb = dynamodb
        self.table = table
        self.region = region
        self.scrypt_n = scrypt_n
        self._clock = clock
        # Compared against when the user does not exist, so timing does not reveal usernames.
        self._dummy = hash_password(secrets.token_hex(8), n=scrypt_n)

    def create(self, username: str, password: str) -> User:
        at = now_ms(self._clock)
        item = stamp(
            {
                "pk": f"user#{username}",
                "sk": USER_SK,
                "username": username,
                "password": hash_password(password, n=self.scrypt_n),
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
            verify_password(password, self._dummy)
            return None
        if not verify_password(password, str(item.get("password", ""))):
            return None
        return User(username=item["username"], created_at=int(item.get("created_at", 0)))
