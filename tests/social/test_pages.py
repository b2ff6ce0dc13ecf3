"""Server-rendered social pages: what they show, who may open them, and what they cost."""

import json

import pytest

from apps.activity.services import follow_create
from apps.social.services import bookmark_create, group_create, membership_add
from tests.accounts.factories import UserFactory
from tests.social.factories import make_comment, make_post

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/topics/pricing/",
        "/groups/",
        "/groups/1/",
        "/bookmarks/",
        "/mentions/",
        "/posts/1/",
        "/notifications/",
    ],
)
def test_pages_send_anonymous_visitors_to_sign_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response.url == f"/login/?next={path}"


def test_topic_page_shows_its_followers_and_whether_i_follow(client, user):
    make_post(body="About #pricing")
    fan = UserFactory(first_name="Ann", last_name="Lee")
    follow_create(user=fan, stream="topic:pricing")
    client.force_login(user)

    html = client.get("/topics/Pricing/").content.decode()

    assert '<h1 id="topic-title">#pricing</h1>' in html
    assert 'data-feed-url="/api/v1/topics/pricing/feed/"' in html
    assert 'data-stream="topic:pricing"' in html
    assert 'class="count follower-count">1<' in html
    assert "Ann Lee" in html
    assert 'aria-pressed="false">Follow<' in html
    assert 'name="stream" id="composer-stream" value="topic:pricing"' in html


def test_an_unknown_topic_is_404(client, user):
    client.force_login(user)
    assert client.get("/topics/nothing-here/").status_code == 404


def test_a_private_group_is_404_to_outsiders_and_shows_members_and_leave_to_members(client, user):
    owner = UserFactory(first_name="Bo", last_name="Ray")
    group = group_create(actor=owner, name="Board", is_private=True)
    client.force_login(user)

    assert client.get(f"/groups/{group.pk}/").status_code == 404
    listing = client.get("/groups/").content.decode()
    # Listed by name, so people can ask to join, but not linked: its page is members-only.
    assert '<span class="row-title">Board</span>' in listing
    assert f'href="/groups/{group.pk}/"' not in listing

    membership_add(group=group, user=user, actor=owner)
    html = client.get(f"/groups/{group.pk}/").content.decode()
    assert '<h1 id="group-title">Board</h1>' in html
    assert "Private group" in html
    assert "Bo Ray" in html
    assert 'id="member-count">2<' in html
    assert ">Leave group<" in html
    assert f'data-stream="group:{group.pk}"' in html
    listing = client.get("/groups/").content.decode()
    assert f'<a class="row-title" href="/groups/{group.pk}/">Board</a>' in listing


def test_a_post_page_embeds_the_post_as_a_hydrated_feed_item_in_few_queries(
    client, user, django_assert_max_num_queries
):
    post = make_post(author=user, body="Hello <script>x</script> **there**")
    make_comment(activity=post.activity, body="First!")
    client.force_login(user)

    with django_assert_max_num_queries(13):
        response = client.get(f"/posts/{post.pk}/")

    html = response.content.decode()
    [item] = json.loads(
        html.split('<script id="initial-items" type="application/json">')[1].split("</script>")[0]
    )
    assert (item["id"], item["comment_count"], item["liked"]) == (post.activity_id, 1, False)
    assert item["content"] == "<p>Hello  <strong>there</strong></p>"
    assert "<script>x" not in html
    assert f'data-stream="post:{post.pk}"' in html


def test_a_post_in_a_private_group_is_404_to_outsiders(client, user):
    owner = UserFactory()
    group = group_create(actor=owner, name="Board", is_private=True)
    post = make_post(author=owner, stream=group.stream_key)
    client.force_login(user)

    assert client.get(f"/posts/{post.pk}/").status_code == 404


def test_bookmarks_mentions_and_notifications_pages_point_at_my_own_lists(client, user):
    bookmark_create(user=user, activity=make_post().activity)
    client.force_login(user)

    assert 'data-feed-url="/api/v1/feed/bookmarks/"' in client.get("/bookmarks/").content.decode()
    mentions = client.get("/mentions/").content.decode()
    assert 'data-feed-url="/api/v1/feed/mentions/"' in mentions
    assert f'data-stream="mention:{user.pk}"' in mentions
    assert 'data-url="/api/v1/notifications/"' in client.get("/notifications/").content.decode()


def test_my_own_profile_has_a_composer_but_no_follow_button(client, user):
    client.force_login(user)

    own = client.get(f"/people/{user.pk}/").content.decode()
    other = client.get(f"/people/{UserFactory().pk}/").content.decode()

    assert "follow-toggle" not in own
    assert "Share an update" in own
    assert "follow-toggle" in other
