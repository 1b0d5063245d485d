"""Creating a post is idempotent: a retried create that finds its own first write succeeds,
a slug claimed by another post is still taken. Against the session's real moto server."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from blog.data.posts import PostStore, SlugTaken

from polyregion.data.clients import ClientConfig, RegionClients, clients_for
from polyregion.data.provision import provision_region
from polyregion.topology import Topology, from_dict, naming
from tests.support.lossy import LossyProxy, lossy_proxy

pytestmark = pytest.mark.functional
REGION = "us-east-1"


@pytest.fixture(scope="module")
def topo(moto_url: str) -> Topology:
    topo = from_dict({"app": {"name": "t-data-posts"}})
    provision_region(topo, REGION, clients_for(REGION, {REGION: moto_url}), secret_value="s")
    return topo


@pytest.fixture
def proxy(moto_url: str) -> Iterator[LossyProxy]:
    with lossy_proxy(moto_url) as p:
        yield p


def store(topo: Topology, endpoint: str, max_attempts: int = 2) -> PostStore:
    clients = RegionClients(
        region=REGION, endpoint=endpoint, config=ClientConfig(max_attempts=max_attempts)
    )
    return PostStore(clients.dynamodb, naming.table(topo, naming.BLOG_TABLE), REGION)


def posts_with_slug(s: PostStore, slug: str) -> list[str]:
    """Every post item carrying `slug`, read strongly from the table (not the lagging GSI)."""
    out = s.ddb.scan(
        TableName=s.table,
        FilterExpression="slug = :s AND sk = :k",
        ExpressionAttributeValues={":s": {"S": slug}, ":k": {"S": "post"}},
        ConsistentRead=True,
    )
    return [i["pk"]["S"] for i in out["Items"]]


def test_a_create_whose_response_was_lost_succeeds_on_the_sdk_retry(
    topo: Topology, proxy: LossyProxy
) -> None:
    s = store(topo, proxy.url)
    proxy.lose("TransactWriteItems")  # moto applies the first attempt; botocore never hears
    post = s.create(slug="lost-answer", title="T", body="B", author="ann")

    assert proxy.lost == ["TransactWriteItems"]
    attempts = [json.loads(b) for b in proxy.bodies("TransactWriteItems")]
    assert len(attempts) == 2  # the SDK did retry, and the retry found the first write
    # Both attempts carry one ClientRequestToken: on AWS the retry is a no-op success.
    tokens = {a["ClientRequestToken"] for a in attempts}
    assert len(tokens) == 1 and len(tokens.pop()) <= 36
    assert (post.slug, post.author, post.version) == ("lost-answer", "ann", 1)
    assert posts_with_slug(s, "lost-answer") == [post.pk]


def test_the_same_create_twice_is_one_post(topo: Topology, moto_url: str) -> None:
    s = store(topo, moto_url)
    first = s.create(slug="twice", title="T", body="B", author="ann", post_id="req-1")
    again = s.create(slug="twice", title="T", body="B", author="ann", post_id="req-1")
    assert again.pk == first.pk == "post#req-1"
    assert posts_with_slug(s, "twice") == [first.pk]


def test_a_slug_claimed_by_another_post_is_still_taken(topo: Topology, moto_url: str) -> None:
    s = store(topo, moto_url)
    s.create(slug="mine", title="T", body="B", author="ann", post_id="req-2")
    # Another request (even by the same author) and another author: both 409 material.
    for post_id, author in (("req-3", "ann"), ("req-4", "bob")):
        with pytest.raises(SlugTaken, match="'mine' is taken"):
            s.create(slug="mine", title="T", body="B", author=author, post_id=post_id)
    assert posts_with_slug(s, "mine") == ["post#req-2"]


def test_a_lost_response_for_a_taken_slug_is_still_taken(
    topo: Topology, proxy: LossyProxy, moto_url: str
) -> None:
    """The retry's ownership check does not turn someone else's slug into a success."""
    store(topo, moto_url).create(slug="theirs", title="T", body="B", author="bob")
    s = store(topo, proxy.url)
    proxy.lose("TransactWriteItems")
    with pytest.raises(SlugTaken):
        s.create(slug="theirs", title="T", body="B", author="ann")
    assert len(proxy.bodies("TransactWriteItems")) == 2
    assert len(posts_with_slug(s, "theirs")) == 1
