"""Read-your-writes for posts: the kit's consistency token and bounded wait (polyregion.kit).

The token names the post by its pk (`key`) and carries its slug (`hint`), so a post page can
tell whether the reader's latest write is the post they are opening.
"""

from __future__ import annotations

from blog.data.posts import Post
from polyregion.kit.consistency import ConsistencyToken, ReadYourWrites, Resolved, StillReplicating

__all__ = ["ConsistencyToken", "ReadYourWrites", "Resolved", "StillReplicating", "token_for"]


def token_for(post: Post) -> ConsistencyToken:
    """The token of a write the user just made: its region, pk, version, time and slug."""
    return ConsistencyToken(post.updated_region, post.pk, post.version, post.updated_at, post.slug)
