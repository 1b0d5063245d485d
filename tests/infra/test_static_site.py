"""Which paths CloudFront takes from the assets bucket, per app (no synth: pure layout)."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyregion.infra import static_site
from polyregion.infra.static_site import StaticSiteError, nextjs_site, public_patterns
from polyregion.topology import load

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_public_entries_become_one_pattern_each(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "robots.txt").write_text("")
    (tmp_path / "favicon.ico").write_text("")
    assert public_patterns(tmp_path) == ("/favicon.ico", "/images/*", "/robots.txt")
    assert public_patterns(tmp_path / "missing") == ()


def test_too_many_public_entries_for_cloudfront_are_refused_with_the_fix(tmp_path: Path) -> None:
    for i in range(static_site.MAX_PUBLIC_ENTRIES + 1):
        (tmp_path / f"f{i}.txt").write_text("")
    with pytest.raises(StaticSiteError, match="group them in folders"):
        public_patterns(tmp_path)


def test_nextjs_without_a_build_gets_the_behaviors_and_uploads_nothing(tmp_path: Path) -> None:
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "robots.txt").write_text("")
    site = nextjs_site(tmp_path, None)
    assert site.patterns == ("/_next/static/*", "/robots.txt")
    assert site.origin_path == "/static" and site.uploads == ()
    built = tmp_path / "built"
    (built / ".next" / "static").mkdir(parents=True)
    (built / "public").mkdir()
    uploads = nextjs_site(tmp_path, built).uploads
    assert [(u.prefix, u.cache_control) for u in uploads] == [
        ("_next/static/", static_site.IMMUTABLE),
        ("", static_site.REVALIDATE),
    ]


def test_the_blog_is_recognized_however_it_is_declared() -> None:
    assert static_site.is_bundled_blog(load(EXAMPLES / "blog" / "polyregion.toml"))
    assert not static_site.is_bundled_blog(load(EXAMPLES / "fastapi-notes" / "polyregion.toml"))
    assert not static_site.is_bundled_blog(load(EXAMPLES / "nextjs-notes" / "polyregion.toml"))
