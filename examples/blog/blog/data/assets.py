"""Cover images in the region's S3 bucket (replicated to the other regions by S3 CRR).

Uploads are validated by their magic bytes (never by the file name or the browser's
Content-Type) and by size, before anything is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from polyregion.errors import PolyregionError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# (magic prefix, offset, content type, extension)
_SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"GIF87a", 0, "image/gif", "gif"),
    (b"GIF89a", 0, "image/gif", "gif"),
    (b"WEBP", 8, "image/webp", "webp"),  # RIFF....WEBP
)
ALLOWED = "PNG, JPEG, GIF or WebP"


class InvalidUpload(PolyregionError):
    """The uploaded file is not an accepted image (or too large)."""


@dataclass(frozen=True, slots=True)
class Image:
    data: bytes
    content_type: str
    extension: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()[:20]


def sniff(data: bytes, *, max_bytes: int) -> Image:
    """The image in `data`, or InvalidUpload saying what is wrong and what is accepted."""
    if not data:
        raise InvalidUpload("the cover image is empty; choose a PNG, JPEG, GIF or WebP file")
    if len(data) > max_bytes:
        raise InvalidUpload(
            f"the cover image is {len(data) // 1024} KiB; the limit is {max_bytes // 1024} KiB"
        )
    for magic, offset, ctype, ext in _SIGNATURES:
        if data[offset : offset + len(magic)] == magic and (ext != "webp" or data[:4] == b"RIFF"):
            return Image(data=data, content_type=ctype, extension=ext)
    raise InvalidUpload(f"the cover image is not a {ALLOWED} file (checked by its content)")


class AssetStore:
    """Reads try the local bucket first, then the buckets of `fallback` regions (CRR lag)."""

    def __init__(
        self, s3_for: Callable[[str], S3Client], buckets: Callable[[str], str], region: str
    ):
        self._s3_for = s3_for
        self._bucket = buckets
        self.region = region

    def put(self, key: str, image: Image) -> None:
        self._s3_for(self.region).put_object(
            Bucket=self._bucket(self.region),
            Key=key,
            Body=image.data,
            ContentType=image.content_type,
            CacheControl="public, max-age=31536000, immutable",  # keys are content hashes
        )

    def delete(self, key: str) -> None:
        self._s3_for(self.region).delete_object(Bucket=self._bucket(self.region), Key=key)

    def get(self, key: str, fallback: Sequence[str] = ()) -> tuple[bytes, str] | None:
        for region in (self.region, *[r for r in fallback if r != self.region]):
            s3: Any = self._s3_for(region)
            try:
                out = s3.get_object(Bucket=self._bucket(region), Key=key)
            except s3.exceptions.NoSuchKey:
                continue
            return out["Body"].read(), str(out.get("ContentType", "application/octet-stream"))
        return None


def cover_key(post_hint: str, image: Image) -> str:
    """Content-addressed: a new cover is a new key, so caches never serve a stale image."""
    return f"covers/{post_hint}/{image.digest}.{image.extension}"
