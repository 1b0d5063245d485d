"""CSRF protection: a signed double-submit token bound to the session, valid signed out too.

The token is `<nonce>.<HMAC(csrf key, binding NUL nonce)>`, where the binding names the
session (`binding(username, issued_at)`, or "" when signed out). It is set as a cookie and
echoed by every form (hidden field `csrf_token`) or JSON call (header `x-csrf-token`); a POST
is accepted only if both are present, equal, and the signature verifies for the request's own
session with the current or previous secret. A cross-site page can neither read the cookie
nor forge a pair; binding also stops a sibling subdomain (same site: SameSite=Lax does not
help) from planting a pair of its own: a token minted for the attacker's session, or for none,
does not verify for the victim's. The same secret in every region makes the token valid
wherever the POST lands.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Final

from polyregion.kit.keys import KeySet

COOKIE: Final = "pr_csrf"  # the default; `Sessions(csrf_cookie=...)` picks another
FIELD: Final = "csrf_token"
HEADER: Final = "x-csrf-token"
PURPOSE: Final = "csrf"
MAX_LEN: Final = 128


def binding(username: str, issued_at: int) -> str:
    """What a signed-in token is bound to: the session's user and its issue time."""
    return f"{username}\x00{issued_at}"


SIGNED_OUT: Final = ""


def _sign(key: bytes, bound_to: str, nonce: str) -> str:
    msg = bound_to.encode() + b"\x00" + nonce.encode()
    mac = hmac.new(key, msg, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def new_token(keys: KeySet, bound_to: str) -> str:
    nonce = secrets.token_urlsafe(18)
    return f"{nonce}.{_sign(keys.current.for_purpose(PURPOSE), bound_to, nonce)}"


def well_signed(token: str | None, keys: KeySet, bound_to: str) -> bool:
    if not token or len(token) > MAX_LEN or token.count(".") != 1:
        return False
    nonce, sig = token.split(".")
    return any(
        hmac.compare_digest(sig, _sign(k.for_purpose(PURPOSE), bound_to, nonce)) for k in keys.all()
    )


def accept(submitted: str | None, cookie: str | None, keys: KeySet, bound_to: str) -> bool:
    """True only for a submitted token equal to the cookie's and signed by us for this session."""
    if not submitted or not cookie:
        return False
    if not hmac.compare_digest(submitted.encode(), cookie.encode()):
        return False
    return well_signed(cookie, keys, bound_to)
