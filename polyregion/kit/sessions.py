"""Sessions: an HS256 JWT in a cookie, signed with the replicated Secrets Manager secret.

`SessionCodec` mints and verifies tokens against a `KeySet`; `Sessions` adds what a web app
needs around it (the keys from Secrets Manager, cookie attributes, CSRF tokens bound to the
session), framework-free: its methods are blocking (a key refresh calls Secrets Manager), so
call them from a worker thread (FastAPI `def` endpoints, Flask views) or `anyio.to_thread`.

The token header's `kid` is the secret's VersionId. Verification accepts the AWSCURRENT and
AWSPREVIOUS versions, so a rotation logs nobody out, and every region holds the same secret,
so a session minted in one region is valid in all of them. `kid` is only a hint: if it is
unknown even after a refresh (regions provisioned separately get different VersionIds for
the same value) every known key is tried - at most two HMACs. The algorithm is pinned to
HS256 (`alg: none` and key-confusion tricks fail), `exp` is required and enforced, and any
malformed cookie simply means "signed out".
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import jwt

from polyregion.kit import csrf
from polyregion.kit.consistency import ConsistencyToken
from polyregion.kit.keys import KeySet, SecretKeyProvider, SigningKey

if TYPE_CHECKING:
    from polyregion.kit.revocation import Revocations

ALGORITHM: Final = "HS256"
PURPOSE: Final = "session"
MAX_COOKIE_CHARS: Final = 4096  # browsers drop larger cookies anyway; never parse junk walls


@dataclass(frozen=True, slots=True)
class Session:
    username: str
    issued_at: int
    expires_at: int
    consistency: ConsistencyToken | None = None
    # Names this sign-in across re-issues (claim `sid`): what a revocation refers to. Tokens
    # minted without one are named by user and issue time.
    session_id: str = ""


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
        session_id: str | None = None,
    ) -> str:
        now = int(self._clock())
        iat = issued_at if issued_at is not None else now
        claims: dict[str, Any] = {
            "sub": username,
            "iss": self.issuer,
            "iat": iat,
            "exp": iat + self.max_age_s,
            "sid": session_id or secrets.token_urlsafe(12),
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
        sid = claims.get("sid")
        return Session(
            sub,
            iat,
            exp,
            ConsistencyToken.from_claim(claims.get("cst")),
            sid if isinstance(sid, str) and 0 < len(sid) <= 64 else f"{sub}@{iat}",
        )


DEFAULT_MAX_AGE_S: Final = 7 * 24 * 3600


class Sessions:
    """Cookie sessions and CSRF for one app, keyed by the replicated session secret."""

    def __init__(
        self,
        keys: SecretKeyProvider,
        *,
        issuer: str,
        max_age_s: int = DEFAULT_MAX_AGE_S,
        cookie_name: str = "pr_session",
        csrf_cookie: str = csrf.COOKIE,
        secure: bool = True,
        clock: Callable[[], float] = time.time,
        revocations: Revocations | None = None,
    ) -> None:
        self.keys = keys
        # Checked on every `read` (one strongly consistent GetItem): signed-out stays out.
        self.revocations = revocations
        self.codec = SessionCodec(issuer=issuer, max_age_s=max_age_s, clock=clock)
        self.max_age_s = max_age_s
        self.cookie_name = cookie_name
        self.csrf_cookie = csrf_cookie
        self.secure = secure
        self._clock = clock

    def keyset(self) -> KeySet:
        """The current keys: cached, else fetched (stale ones if Secrets Manager is down)."""
        return self.keys.cached() or self.keys.get()

    def read(self, token: str | None) -> Session | None:
        """The session in a cookie value, or None: any bad cookie is just "signed out"."""
        if not token:
            return None
        kid = self.codec.key_id(token)
        if kid is None:
            return None
        keys = self.keyset()
        if keys.find(kid) is None:  # a rotation this process has not seen yet
            keys = self.keys.refresh_for_unknown(kid)
        session = self.codec.decode(token, keys)
        if session is None or self.revocations is None:
            return session
        return None if self.revocations.is_revoked(session) else session

    def revoke(self, session: Session) -> tuple[str, ...]:
        """Sign-out: the session stops working everywhere (see `Revocations`). Returns the
        regions that acknowledged; a no-op without `revocations`."""
        if self.revocations is None:
            return ()
        return self.revocations.revoke(session)

    def issue(
        self,
        username: str,
        *,
        consistency: ConsistencyToken | None = None,
        issued_at: int | None = None,
    ) -> str:
        """A new session token (keep `issued_at` when re-issuing: CSRF tokens stay bound)."""
        return self.codec.mint(
            self.keyset(), username, consistency=consistency, issued_at=issued_at
        )

    def reissue(self, session: Session, consistency: ConsistencyToken) -> str:
        """The same session carrying the consistency token of the user's latest write."""
        return self.codec.mint(
            self.keyset(),
            session.username,
            consistency=consistency,
            issued_at=session.issued_at,
            session_id=session.session_id,
        )

    def remaining_s(self, session: Session) -> int:
        return max(1, session.expires_at - int(self._clock()))

    # -- CSRF (double submit, bound to the session) -----------------------------------------
    @staticmethod
    def binding(session: Session | None) -> str:
        return (
            csrf.SIGNED_OUT
            if session is None
            else csrf.binding(session.username, session.issued_at)
        )

    def csrf_token(self, session: Session | None, existing: str | None = None) -> str:
        """`existing` (the CSRF cookie) if still valid for this session, else a new token."""
        keys = self.keyset()
        if existing and csrf.well_signed(existing, keys, self.binding(session)):
            return existing
        return csrf.new_token(keys, self.binding(session))

    def csrf_ok(self, session: Session | None, submitted: str | None, cookie: str | None) -> bool:
        """True only for a submitted token equal to the cookie's, signed for this session."""
        return csrf.accept(submitted, cookie, self.keyset(), self.binding(session))

    def cookie(self, name: str, value: str, max_age: int | None = None) -> dict[str, Any]:
        """Keyword arguments for Starlette's / Flask's `response.set_cookie`."""
        return {
            "key": name,
            "value": value,
            "max_age": self.max_age_s if max_age is None else max_age,
            "path": "/",
            "httponly": True,
            "samesite": "lax",
            "secure": self.secure,
        }
