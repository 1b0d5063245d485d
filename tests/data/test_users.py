from __future__ import annotations

from polyregion.data.users import hash_password, verify_password


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
