"""Every feed reads newest first or by latest activity (`?sort=activity`: a comment bumps its post),
with cursors that page through either order without gaps or repeats."""

import pytest

from apps.activity.models import Activity
from apps.activity.services import activity_fanout, follow_create
from apps.social.services import bookmark_create
from tests.accounts.factories import UserFactory
from tests.records.factories import make_deal
from tests.social.factories import make_comment, make_post

pytestmark = pytest.mark.django_db


def posts_with_a_late_comment(*, stream: str, author, reader=None) -> list[int]:
    """Three posts on `stream` (oldest first), then a comment on the oldest; fanned out."""
    posts = [make_post(author=author, stream=stream, body=f"Post {n}") for n in range(3)]
    make_comment(activity=posts[0].activity)
    for activity_id in Activity.objects.values_list("pk", flat=True):
        activity_fanout(activity_id=activity_id)
    if reader is not None:
        for post in posts:
            bookmark_create(user=reader, activity=post.activity)
    return [p.activity_id for p in posts]


def item_ids(api, url: str) -> list[int]:
    """Every post item of a feed, page by page through its `next` links."""
    ids: list[int] = []
    while url:
        body = api.get(url).json()
        ids += [i["id"] for i in body["orderedItems"] if i["object"]["type"] == "post"]
        url = body["next"]
    return ids


@pytest.mark.parametrize(
    "feed",
    ["/api/v1/feed/", "/api/v1/feed/company/", "/api/v1/feed/bookmarks/", "/api/v1/deals/{deal}/feed/"],
)
def test_a_comment_moves_its_post_up_in_the_latest_activity_order_of_every_feed(api, user, feed):
    deal, author = make_deal(), UserFactory()
    follow_create(user=user, stream=deal.stream_key)
    oldest, middle, newest = posts_with_a_late_comment(stream=deal.stream_key, author=author, reader=user)
    api.force_authenticate(user)
    url = feed.format(deal=deal.pk)

    assert item_ids(api, f"{url}?limit=1") == [newest, middle, oldest]
    assert item_ids(api, f"{url}?limit=1&sort=activity") == [oldest, newest, middle]
    assert item_ids(api, f"{url}?limit=2&sort=activity") == [oldest, newest, middle]


def test_a_comment_and_the_post_it_bumps_both_appear_in_the_latest_activity_order(api, user):
    author = UserFactory()
    post = make_post(author=author, body="Thread")
    make_post(author=author, body="Later")
    comment = make_comment(activity=post.activity)
    api.force_authenticate(user)

    body = api.get("/api/v1/feed/company/?sort=activity").json()
    paged = []
    url = "/api/v1/feed/company/?sort=activity&limit=1"
    while url:
        page = api.get(url).json()
        paged += [i["id"] for i in page["orderedItems"]]
        url = page["next"]

    ids = [i["id"] for i in body["orderedItems"]]
    said = Activity.objects.get(object_type="comment", object_id=str(comment.pk)).pk
    # The post, bumped by the comment, just above the comment itself.
    assert ids[:2] == [post.activity_id, said]
    assert paged == ids


def test_the_latest_activity_cursor_follows_the_items_latest_activity(api, user):
    author = UserFactory()
    follow_create(user=user, stream=author.stream_key)
    oldest, _, newest = posts_with_a_late_comment(stream=author.stream_key, author=author)
    comment_id = Activity.objects.get(pk=oldest).bumped_id
    api.force_authenticate(user)

    first = api.get("/api/v1/feed/?limit=1&sort=activity").json()
    second = api.get(first["next"]).json()

    assert [i["id"] for i in first["orderedItems"]] == [oldest]
    assert first["nextCursor"] == 2 * comment_id + 1
    assert "sort=activity" in first["next"]
    assert [i["id"] for i in second["orderedItems"]] == [newest]


def test_latest_activity_order_merges_a_merged_stream_too(api, user, settings):
    settings.FEEDHUB = {**settings.FEEDHUB, "FANOUT_THRESHOLD": 2}
    author = UserFactory()
    for fan in (user, UserFactory(), UserFactory()):
        follow_create(user=fan, stream=author.stream_key)
    make_post(author=author, body="Promotes the stream")
    activity_fanout(activity_id=Activity.objects.latest("pk").pk)
    oldest, middle, newest = posts_with_a_late_comment(stream=author.stream_key, author=author)
    api.force_authenticate(user)

    assert item_ids(api, "/api/v1/feed/?sort=activity")[:3] == [oldest, newest, middle]


@pytest.mark.parametrize("count", [6, 12])
def test_a_latest_activity_page_costs_the_same_queries_whatever_the_feed_holds(
    api, user, count, django_assert_num_queries
):
    author = UserFactory()
    follow_create(user=user, stream=author.stream_key)
    for n in range(count):
        post = make_post(author=author, body=f"Post {n}")
        make_comment(activity=post.activity)
    for activity_id in Activity.objects.values_list("pk", flat=True):
        activity_fanout(activity_id=activity_id)
    api.force_authenticate(user)

    # Merged follows, the inbox's keys, the page's activities, visibility of posts and comments
    # (2) and of their streams (user), hydration (counts, bodies, polls).
    with django_assert_num_queries(9):
        response = api.get("/api/v1/feed/?limit=5&sort=activity")

    assert response.status_code == 200
    assert len(response.json()["orderedItems"]) == 5


def test_an_unknown_sort_is_a_400_naming_the_parameter(api, user):
    api.force_authenticate(user)

    response = api.get("/api/v1/feed/?sort=popular")

    assert response.status_code == 400
    assert "sort" in response.json()["fields"]
