"""Sessions: an HS256 JWT in a cookie, signed with the replicated Secrets Manager secret.

The token header's `kid` is the secret's VersionId. Verification accepts the AWSCURRENT and
AWSPREVIOUS versions, so a rotation logs nobody out, and every region holds the same secret,
so a session minted in one region is valid in all of them. `kid` is only a hint: if it is
unknown even after a refresh (regions provisioned separately get different VersionIds for
the same value) every known key is tried - at most two HMACs. The algorithm is pinned to
HS256 (`alg: none` and key-confusion tricks fail), `exp` is required and enforced, and any
malformed cookie simply means "signed out".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import jwt

from blog.consistency import ConsistencyToken
from polyregion.kit.keys import KeySet, SigningKey

ALGORITHM: Final = "HS256"
PURPOSE: Final = "session"
MAX_COOKIE_CHARS: Final = 4096  # browsers drop larger cookies anyway; never parse junk walls


@dataclass(frozen=True, slots=True)
class Session:
    username: str
    issued_at: int
    expires_at: int
    consistency: ConsistencyToken | None = None


class SessionCodec:
    def __init__(
        self, *, issuer: str, max_age_s: int, clock: Callable[[], float] = time.time
    ) -> None:
        self.issuer = issuer
        self.max_age_s = max_age_s
        self._clock = clock

    def mint(
        self,
        keys: KeySet,
        username: str,
        *,
        consistency: ConsistencyToken | None = None,
        issued_at: int | None = None,
    ) -> str:
        now = int(self._clock())
        iat = issued_at if issued_at is not None else now
        claims: dict[str, Any] = {
            "sub": username,
            "iss": self.issuer,
            "iat": iat,
            "exp": iat + self.max_age_s,
        }
        if consistency is not None:
            claims["cst"] = consistency.to_claim()
        key = keys.current
        return jwt.encode(
            claims, key.for_purpose(PURPOSE), algorithm=ALGORITHM, headers={"kid": key.version_id}
        )

    @staticmethod
    def key_id(token: str) -> str | None:
        """The `kid` header, or None when the token is not even a JWT."""
        if not token or len(token) > MAX_COOKIE_CHARS:
            return None
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return None
        kid = header.get("kid")
        return kid if isinstance(kid, str) else None

    def decode(self, token: str, keys: KeySet) -> Session | None:
        """The session in `token`, or None for anything invalid (never an exception)."""
        kid = self.key_id(token)
        if kid is None:
            return None
        first = keys.find(kid)
        candidates: list[SigningKey] = [first] if first else []
        candidates += [k for k in keys.all() if k is not first]
        for key in candidates:
            claims = self._verify(token, key)
            if claims is not None:
                return self._session(claims)
        return None

    def _verify(self, token: str, key: SigningKey) -> dict[str, Any] | None:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.for_purpose(PURPOSE),
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                # Presence is checked here; times against our (injectable) clock below.
                options={
                    "require": ["exp", "iat", "sub", "iss"],
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
        except (jwt.PyJWTError, ValueError, TypeError):
            return None
        return claims

    def _session(self, claims: dict[str, Any]) -> Session | None:
        sub, iat, exp = claims.get("sub"), claims.get("iat"), claims.get("exp")
        if not isinstance(sub, str) or not isinstance(iat, int) or not isinstance(exp, int):
            return None
        now = int(self._clock())
        if exp <= now:  # expired
            return None
        if iat > now + 60:  # minted in the future: clock skew beyond reason
            return None
        return Session(sub, iat, exp, ConsistencyToken.from_claim(claims.get("cst")))
