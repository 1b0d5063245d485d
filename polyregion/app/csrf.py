"""CSRF protection: a signed double-submit token, valid for signed-out forms too.

The token is `<nonce>.<HMAC(csrf key, nonce)>`. It is set as a cookie and echoed by every form
(hidden field `csrf_token`) or JSON call (header `x-csrf-token`); a POST is accepted only if
both are present, equal, and the signature verifies with the current or previous secret. A
cross-site page can neither read the cookie nor plant a forged pair (it cannot sign one), and
the same secret in every region makes the token valid wherever the POST lands.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Final

from polyregion.data.secret import KeySet

COOKIE: Final = "pr_csrf"
FIELD: Final = "csrf_token"
HEADER: Final = "x-csrf-token"
PURPOSE: Final = "csrf"
MAX_LEN: Final = 128


def _sign(key: bytes, nonce: str) -> str:
    mac = hmac.new(key, nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def new_token(keys: KeySet) -> str:
    nonce = secrets.token_urlsafe(18)
    return f"{nonce}.{_sign(keys.current.for_purpose(PURPOSE), nonce)}"


def well_signed(token: str | None, keys: KeySet) -> bool:
    if not token or len(token) > MAX_LEN or token.count(".") != 1:
        return False
    nonce, sig = token.split(".")
    return any(hmac.compare_digest(sig, _sign(k.for_purpose(PURPOSE), nonce)) for k in keys.all())


def accept(submitted: str | None, cookie: str | None, keys: KeySet) -> bool:
    """True only for a submitted token equal to the cookie's and signed by us."""
    if not submitted or not cookie:
        return False
    if not hmac.compare_digest(submitted.encode(), cookie.encode()):
        return False
    return well_signed(cookie, keys)
