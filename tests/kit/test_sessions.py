from __future__ import annotations

import base64
import json
import warnings

import jwt

from polyregion.kit.consistency import ConsistencyToken
from polyregion.kit.keys import KeySet, SigningKey
from polyregion.kit.sessions import SessionCodec

OLD = SigningKey("v-old", b"old-secret-value-long-enough-for-hmac-sha256")
NEW = SigningKey("v-new", b"new-secret-value-long-enough-for-hmac-sha256")
NOW = 1_800_000_000.0


def codec(now: float = NOW) -> SessionCodec:
    return SessionCodec(issuer="polyregion:test", max_age_s=3600, clock=lambda: now)


def keys(current: SigningKey, previous: SigningKey | None = None) -> KeySet:
    return KeySet(current=current, previous=previous, fetched_at=0.0)


def test_roundtrip_carries_user_and_consistency_token() -> None:
    cst = ConsistencyToken("us-east-1", "post#1", 3, 123, "hello")
    token = codec().mint(keys(NEW), "alice", consistency=cst)
    assert jwt.get_unverified_header(token)["kid"] == "v-new"
    session = codec().decode(token, keys(NEW))
    assert session is not None
    assert session.username == "alice"
    assert session.consistency == cst


def test_rotation_keeps_tokens_signed_with_the_previous_version_valid() -> None:
    token = codec().mint(keys(OLD), "alice")
    assert codec().decode(token, keys(NEW, previous=OLD)) is not None
    # once the version is neither current nor previous, the token is dead
    third = SigningKey("v-third", b"third-secret-value-long-enough-for-hmac-sha2")
    assert codec().decode(token, keys(third, previous=NEW)) is None


def test_unknown_kid_with_same_secret_still_verifies() -> None:
    # Regions provisioned separately hold the same value under different VersionIds.
    token = codec().mint(keys(SigningKey("region-a-version", NEW.secret)), "alice")
    assert codec().decode(token, keys(NEW)) is not None


def test_expired_token_is_signed_out() -> None:
    token = codec(now=NOW - 7200).mint(keys(NEW), "alice")
    assert codec().decode(token, keys(NEW)) is None


def test_alg_none_and_other_algorithms_are_rejected() -> None:
    claims = {"sub": "alice", "iss": "polyregion:test", "iat": int(NOW), "exp": int(NOW) + 60}
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "kid": "v-new"}).encode())
    body = base64.urlsafe_b64encode(json.dumps(claims).encode())
    unsigned = f"{header.decode().rstrip('=')}.{body.decode().rstrip('=')}."
    assert codec().decode(unsigned, keys(NEW)) is None
    with warnings.catch_warnings():  # a 32-byte key is "short" for HS512: the point here
        warnings.simplefilter("ignore")
        hs512 = jwt.encode(
            claims, NEW.for_purpose("session"), algorithm="HS512", headers={"kid": "v-new"}
        )
    assert codec().decode(hs512, keys(NEW)) is None


def test_tampered_wrong_key_and_junk_are_signed_out() -> None:
    token = codec().mint(keys(NEW), "alice")
    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["sub"] = "mallory"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert codec().decode(f"{head}.{forged}.{sig}", keys(NEW)) is None
    assert codec().decode(codec().mint(keys(OLD), "alice"), keys(NEW)) is None
    for junk in ("", "x", "a.b.c", "é.é.é", "{}", "eyJ.eyJ.", "a" * 10_000, "..", "e30.e30.e30"):
        assert codec().decode(junk, keys(NEW)) is None


def test_wrong_issuer_missing_claims_and_future_iat_are_rejected() -> None:
    secret = NEW.for_purpose("session")
    base = {"sub": "alice", "iss": "polyregion:test", "iat": int(NOW), "exp": int(NOW) + 60}
    for claims in (
        {**base, "iss": "polyregion:other"},
        {k: v for k, v in base.items() if k != "exp"},
        {**base, "sub": 42},
        {**base, "iat": int(NOW) + 3600, "exp": int(NOW) + 7200},
    ):
        token = jwt.encode(claims, secret, algorithm="HS256", headers={"kid": "v-new"})
        assert codec().decode(token, keys(NEW)) is None, claims


def test_malformed_consistency_claim_is_ignored_not_fatal() -> None:
    claims = {
        "sub": "alice",
        "iss": "polyregion:test",
        "iat": int(NOW),
        "exp": int(NOW) + 60,
        "cst": {"r": 1, "pk": None},
    }
    token = jwt.encode(
        claims, NEW.for_purpose("session"), algorithm="HS256", headers={"kid": "v-new"}
    )
    session = codec().decode(token, keys(NEW))
    assert session is not None
    assert session.consistency is None
