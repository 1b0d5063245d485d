from __future__ import annotations

from polyregion.app import csrf
from polyregion.data.secret import KeySet, SigningKey

K1 = SigningKey("v1", b"one-secret-long-enough-for-hmac-sha256-keys")
K2 = SigningKey("v2", b"two-secret-long-enough-for-hmac-sha256-keys")


def ks(current: SigningKey, previous: SigningKey | None = None) -> KeySet:
    return KeySet(current=current, previous=previous, fetched_at=0.0)


def test_matching_signed_pair_is_accepted() -> None:
    token = csrf.new_token(ks(K1))
    assert csrf.accept(token, token, ks(K1))
    assert csrf.accept(token, token, ks(K2, previous=K1))  # survives a rotation


def test_missing_mismatched_unsigned_or_foreign_tokens_are_refused() -> None:
    token = csrf.new_token(ks(K1))
    other = csrf.new_token(ks(K1))
    assert not csrf.accept(None, token, ks(K1))
    assert not csrf.accept(token, None, ks(K1))
    assert not csrf.accept(other, token, ks(K1))
    assert not csrf.accept("abc.def", "abc.def", ks(K1))  # a pair an attacker planted
    assert not csrf.accept(token, token, ks(K2))  # signed by a key we no longer hold
    assert not csrf.accept("é" * 10, "é" * 10, ks(K1))
    assert not csrf.well_signed("x" * 500, ks(K1))
