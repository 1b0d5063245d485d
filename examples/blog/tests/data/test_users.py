from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest
from blog.data.users import DEFAULT_SCRYPT_N, hash_password, needs_rehash, verify_password
from blog.settings import AppSettings


def test_scrypt_hashes_are_salted_and_verify() -> None:
    a, b = hash_password("secret-pw", n=2**8), hash_password("secret-pw", n=2**8)
    assert a != b and a.startswith("scrypt$256$8$1$")
    assert verify_password("secret-pw", a)
    assert not verify_password("secret-px", a)


def test_malformed_stored_hashes_never_verify() -> None:
    for stored in (
        "",
        "scrypt$",
        "bcrypt$1$2$3$4$5",
        "scrypt$x$8$1$AA==$AA==",
        "scrypt$256$8$1$!!$!!",
    ):
        assert not verify_password("pw", stored)


def test_the_production_cost_is_owasps_minimum_and_fits_maxmem() -> None:
    # docs/app.md "Security": N=2**17, r=8, p=1 (128 MiB). One real hash: ~0.5 s here.
    defaults = {f.name: f.default for f in fields(AppSettings)}
    assert DEFAULT_SCRYPT_N == 2**17 and defaults["password_scrypt_n"] == 2**17
    stored = hash_password("secret-pw")
    assert stored.startswith("scrypt$131072$8$1$")
    assert not needs_rehash(stored, n=DEFAULT_SCRYPT_N)


def test_weaker_or_foreign_hashes_need_a_rehash() -> None:
    weak = hash_password("secret-pw", n=2**4)
    assert needs_rehash(weak, n=2**8)
    assert not needs_rehash(weak, n=2**4)
    assert not needs_rehash(hash_password("pw", n=2**8), n=2**4)  # never a downgrade
    assert needs_rehash("scrypt$256$4$1$AA==$" + "A" * 44, n=2**8)  # weaker r
    assert needs_rehash("bcrypt$x", n=2**8)


def test_a_new_user_is_stamped_when_written_not_before_the_hash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The scrypt hash takes 0.3-2 s: a stamp read before it made the write look that much
    older than it was (replication lag shown 1.8 s against 87 ms injected, issue 15)."""
    from blog.data import users

    now = [1_800_000_000.0]

    def slow_hash(password: str, *, n: int = 0) -> str:
        now[0] += 1.5  # the hash's time passes on the injected clock
        return "scrypt$256$8$1$AA==$AA=="

    class Table:
        items: list[dict[str, Any]] = []

        def put_item(self, **kwargs: Any) -> None:
            self.items.append(kwargs["Item"])

    monkeypatch.setattr(users, "hash_password", slow_hash)
    table = Table()
    store = users.UserStore(table, "t", "eu-west-1", clock=lambda: now[0])  # type: ignore[arg-type]
    created = store.create("newcomer", "correct horse battery")
    assert created.created_at == 1_800_000_001_500
    assert table.items[0]["updated_at"] == {"N": "1800000001500"}
