"""Server-rendered social pages: what they show, who may open them, and what they cost."""

import json

import pytest

from apps.activity.services import follow_create
from apps.social.services import bookmark_create, group_create, join_request_create, membership_add
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


def test_outsiders_see_only_a_private_groups_name_description_and_member_count_and_may_ask_to_join(
    client, user
):
    owner = UserFactory(first_name="Bo", last_name="Ray")
    group = group_create(actor=owner, name="Board", description="Budget talk", is_private=True)
    membership_add(group=group, user=UserFactory(first_name="Cy", last_name="Dee"), actor=owner)
    make_post(author=owner, stream=group.stream_key, body="Members only")
    client.force_login(user)

    html = client.get(f"/groups/{group.pk}/").content.decode()

    assert '<h1 id="group-title">Board</h1>' in html
    assert "Budget talk" in html
    assert '<span id="member-count">2</span> members' in html
    assert ">Ask to join<" in html
    assert "Bo Ray" not in html
    assert "Cy Dee" not in html
    assert "data-feed-url" not in html
    assert "Members only" not in html
    listing = client.get("/groups/").content.decode()
    assert f'<a class="row-title" href="/groups/{group.pk}/">Board</a>' in listing

    join_request_create(group=group, user=user)
    pending = client.get(f"/groups/{group.pk}/").content.decode()
    assert "disabled>Request sent<" in pending


def test_members_of_a_private_group_see_its_members_feed_and_leave_but_not_its_join_requests(client, user):
    owner = UserFactory(first_name="Bo", last_name="Ray")
    group = group_create(actor=owner, name="Board", is_private=True)
    membership_add(group=group, user=user, actor=owner)
    join_request_create(group=group, user=UserFactory(first_name="Ed", last_name="Fox"))
    client.force_login(user)

    html = client.get(f"/groups/{group.pk}/").content.decode()

    assert "Private group" in html
    assert "Bo Ray" in html
    assert 'id="member-count">2<' in html
    assert ">Leave group<" in html
    assert f'data-stream="group:{group.pk}"' in html
    assert "join-requests" not in html
    assert "Ed Fox" not in html


def test_a_private_groups_admins_see_pending_requests_to_join_with_approve_and_reject(client):
    owner = UserFactory()
    group = group_create(actor=owner, name="Board", is_private=True)
    asking = join_request_create(group=group, user=UserFactory(first_name="Ed", last_name="Fox"))
    client.force_login(owner)

    html = client.get(f"/groups/{group.pk}/").content.decode()

    assert 'id="join-request-count">1<' in html
    assert f'data-url="/api/v1/groups/{group.pk}/join-requests/{asking.pk}/"' in html
    assert 'aria-label="Approve Ed Fox">Approve<' in html
    assert 'aria-label="Reject Ed Fox">Reject<' in html


def test_an_unknown_group_is_404(client, user):
    client.force_login(user)
    assert client.get("/groups/999999/").status_code == 404


def test_the_group_list_offers_a_new_group_form(client, user):
    client.force_login(user)

    html = client.get("/groups/").content.decode()

    assert 'id="group-create" data-url="/api/v1/groups/"' in html
    assert 'name="visibility" value="private"' in html


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
