from __future__ import annotations

import pytest
from blog.posts import Invalid, slugify, validate


def test_slugify_makes_url_safe_ascii_and_avoids_reserved_words() -> None:
    assert slugify("Héllo, Wörld! <b>") == "hello-world-b"
    assert slugify("!!!") == "post"
    assert slugify("New") == "new-post"
    assert len(slugify("x" * 500)) <= 60


@pytest.mark.parametrize(
    ("title", "body", "slug", "message"),
    [
        ("", "b", "", "title"),
        ("t" * 201, "b", "", "title"),
        ("t", "", "", "body"),
        ("t", "b", "Bad Slug", "slug"),
        ("t", "b", "-x", "slug"),
        ("t", "b", "new", "reserved"),
    ],
)
def test_validation_names_the_field(title: str, body: str, slug: str, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        validate(title, body, slug)


def test_valid_fields_are_trimmed() -> None:
    fields = validate("  Title  ", "body", " my-post ")
    assert (fields.title, fields.slug) == ("Title", "my-post")
