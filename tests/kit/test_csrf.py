from __future__ import annotations

from polyregion.kit import csrf
from polyregion.kit.keys import KeySet, SigningKey

K1 = SigningKey("v1", b"one-secret-long-enough-for-hmac-sha256-keys")
K2 = SigningKey("v2", b"two-secret-long-enough-for-hmac-sha256-keys")


ALICE = csrf.binding("alice", 1_700_000_000)


def ks(current: SigningKey, previous: SigningKey | None = None) -> KeySet:
    return KeySet(current=current, previous=previous, fetched_at=0.0)


def test_matching_signed_pair_is_accepted() -> None:
    token = csrf.new_token(ks(K1), ALICE)
    assert csrf.accept(token, token, ks(K1), ALICE)
    assert csrf.accept(token, token, ks(K2, previous=K1), ALICE)  # survives a rotation


def test_missing_mismatched_unsigned_or_foreign_tokens_are_refused() -> None:
    token = csrf.new_token(ks(K1), ALICE)
    other = csrf.new_token(ks(K1), ALICE)
    assert not csrf.accept(None, token, ks(K1), ALICE)
    assert not csrf.accept(token, None, ks(K1), ALICE)
    assert not csrf.accept(other, token, ks(K1), ALICE)
    assert not csrf.accept("abc.def", "abc.def", ks(K1), ALICE)  # a pair an attacker planted
    assert not csrf.accept(token, token, ks(K2), ALICE)  # signed by a key we no longer hold
    assert not csrf.accept("é" * 10, "é" * 10, ks(K1), ALICE)
    assert not csrf.well_signed("x" * 500, ks(K1), ALICE)


def test_a_token_is_bound_to_its_session() -> None:
    """A planted pair (cookie tossed from a sibling subdomain) is the attacker's own token:
    minted for the attacker's session or for none, it must not verify for the victim's."""
    keys = ks(K1)
    attackers = csrf.new_token(keys, csrf.binding("mallory", 1_700_000_000))
    signed_out = csrf.new_token(keys, csrf.SIGNED_OUT)
    assert not csrf.accept(attackers, attackers, keys, ALICE)
    assert not csrf.accept(signed_out, signed_out, keys, ALICE)
    # Alice's earlier session (same user, other issue time) does not carry over either.
    earlier = csrf.new_token(keys, csrf.binding("alice", 1_600_000_000))
    assert not csrf.accept(earlier, earlier, keys, ALICE)
    assert csrf.accept(signed_out, signed_out, keys, csrf.SIGNED_OUT)  # sign-in forms
