from __future__ import annotations

import pytest
from blog.data.assets import InvalidUpload, cover_key, sniff

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.mark.parametrize(
    ("data", "ctype"),
    [
        (PNG, "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 16, "image/jpeg"),
        (b"GIF89a" + b"\x00" * 16, "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8, "image/webp"),
    ],
)
def test_images_are_recognised_by_their_content(data: bytes, ctype: str) -> None:
    assert sniff(data, max_bytes=1024).content_type == ctype


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<svg onload=alert(1)>", "not a PNG, JPEG, GIF or WebP"),
        (b"GIF89", "not a PNG"),
        (b"RIFF\x00\x00\x00\x00WAVE", "not a PNG"),
        (b"", "empty"),
        (PNG + b"\x00" * 2048, "limit is 1 KiB"),
    ],
)
def test_other_files_are_rejected_with_a_clear_message(data: bytes, message: str) -> None:
    with pytest.raises(InvalidUpload, match=message):
        sniff(data, max_bytes=1024)


def test_cover_keys_are_content_addressed() -> None:
    image = sniff(PNG, max_bytes=1024)
    assert cover_key("p1", image) == cover_key("p1", image)
    assert cover_key("p1", image).startswith("covers/p1/") and cover_key("p1", image).endswith(
        ".png"
    )
