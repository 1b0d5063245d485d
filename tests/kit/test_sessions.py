from __future__ import annotations

import base64
import json
import warnings

import jwt

from polyregion.kit.consistency import ConsistencyToken
from polyregion.kit.keys import KeySet, SecretKeyProvider, SigningKey
from polyregion.kit.sessions import SessionCodec, Sessions

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


class _Versions:
    """Secrets Manager stand-in: AWSCURRENT / AWSPREVIOUS by stage; `rotate` moves them."""

    class exceptions:
        class ResourceNotFoundException(Exception):
            pass

    def __init__(self) -> None:
        self.stages = {"AWSCURRENT": ("v1", "first-secret-value-long-enough-0123456789")}

    def rotate(self, version: str, value: str) -> None:
        self.stages = {"AWSCURRENT": (version, value), "AWSPREVIOUS": self.stages["AWSCURRENT"]}

    def get_secret_value(self, SecretId: str, VersionStage: str) -> dict[str, str]:
        if VersionStage not in self.stages:
            raise self.exceptions.ResourceNotFoundException(VersionStage)
        version, value = self.stages[VersionStage]
        return {"VersionId": version, "SecretString": value}


def sessions_over(sm: _Versions, now: float = NOW, mono: list[float] | None = None) -> Sessions:
    ticks = mono if mono is not None else [0.0]
    keys = SecretKeyProvider(
        lambda: sm,  # type: ignore[arg-type,return-value]
        "app/session-secret",
        max_age_s=300,
        clock=lambda: ticks[0],
    )
    return Sessions(
        keys, issuer="polyregion:notes", max_age_s=3600, secure=False, clock=lambda: now
    )


def test_sessions_issue_read_and_survive_a_rotation_seen_by_another_process() -> None:
    sm = _Versions()
    mono = [0.0]
    writer, reader = sessions_over(sm, mono=mono), sessions_over(sm, mono=mono)
    old = writer.issue("alice")
    assert reader.read(old) is not None  # reader caches v1
    sm.rotate("v2", "second-secret-value-long-enough-0123456789")
    writer.keys.refresh()
    new = writer.issue("bob")
    mono[0] = 10.0  # past the 5 s bound on refetches for unknown key ids
    # The reader has v1 cached and has never seen v2: the unknown kid triggers one refresh.
    session = reader.read(new)
    assert session is not None and session.username == "bob"
    assert reader.read(old) is not None  # AWSPREVIOUS still verifies
    assert reader.read("junk") is None and reader.read(None) is None


def test_sessions_csrf_is_bound_to_the_session_and_the_cookie_attributes() -> None:
    s = sessions_over(_Versions())
    alice = s.read(s.issue("alice"))
    assert alice is not None
    token = s.csrf_token(alice)
    assert s.csrf_ok(alice, token, token)
    assert not s.csrf_ok(None, token, token)  # not valid signed out
    assert not s.csrf_ok(alice, token, None)
    assert s.csrf_token(alice, existing=token) == token
    reissued = s.read(s.reissue(alice, ConsistencyToken("eu-west-1", "note#1", 2, 5, "x")))
    assert reissued is not None and reissued.issued_at == alice.issued_at
    assert reissued.consistency == ConsistencyToken("eu-west-1", "note#1", 2, 5, "x")
    assert s.csrf_ok(reissued, token, token)  # re-issuing keeps the CSRF binding
    cookie = s.cookie("pr_session", "v")
    assert cookie["httponly"] and cookie["samesite"] == "lax" and cookie["secure"] is False
    assert cookie["max_age"] == 3600
