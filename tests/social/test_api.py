import pytest

from apps.activity.models import Activity, Follow, InboxEntry
from apps.activity.services import activity_fanout, follow_create
from apps.social.models import Bookmark, Comment, Like, Membership, Post
from apps.social.services import bookmark_create, comment_like_create, like_create
from tests.accounts.factories import UserFactory
from tests.records.factories import make_client, make_deal
from tests.social.factories import make_comment, make_post

pytestmark = pytest.mark.django_db


def test_post_on_a_deal_returns_the_rendered_post(api):
    deal = make_deal()
    api.force_authenticate(deal.owner)

    response = api.post(
        "/api/v1/posts/", {"body": "Signed! <script>x()</script>", "stream": deal.stream_key}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    post = Post.objects.get()
    assert body == {
        "id": post.pk,
        "type": "post",
        "stream": deal.stream_key,
        "author": body["author"],
        "body": "Signed! <script>x()</script>",
        "body_html": "<p>Signed! </p>",
        "activity": post.activity_id,
        "created_at": post.created_at.isoformat(),
        "edited_at": None,
        "deleted": False,
        "is_question": False,
        "best_answer": None,
    }
    assert body["author"]["id"] == deal.owner.pk
    assert Activity.objects.get(pk=post.activity_id).source == "web"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, ["body", "stream"]),
        ({"body": "", "stream": "user:1"}, ["body"]),
        ({"body": "   ", "stream": "SELF"}, ["body"]),
        ({"body": "hi", "stream": "deal:987654"}, ["stream"]),
        ({"body": "hi", "stream": "nothing"}, ["stream"]),
        ({"body": ["a"], "stream": "SELF"}, ["body"]),
        ({"body": "x" * 20001, "stream": "SELF"}, ["body"]),
    ],
)
def test_bad_post_is_a_400_naming_the_fields_and_writes_nothing(api, user, body, fields):
    api.force_authenticate(user)
    if body.get("stream") == "SELF":
        body = {**body, "stream": user.stream_key}

    response = api.post("/api/v1/posts/", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"
    assert sorted(response.json()["fields"]) == fields
    assert Post.objects.count() == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/posts/"),
        ("get", "/api/v1/posts/1/"),
        ("get", "/api/v1/activities/1/comments/"),
        ("post", "/api/v1/activities/1/like/"),
        ("get", "/api/v1/people/"),
        ("get", "/api/v1/feed/mentions/"),
        ("get", "/api/v1/feed/company/"),
        ("get", "/api/v1/feed/bookmarks/"),
        ("post", "/api/v1/follows/"),
        ("get", "/api/v1/streams/user:1/followers/"),
    ],
)
def test_anonymous_requests_are_refused(api, method, path):
    response = getattr(api, method)(path, {}, format="json") if method == "post" else api.get(path)

    assert response.status_code in (401, 403)
    assert response.json()["error"] == "not_authenticated"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/posts/987654/",
        "/api/v1/activities/987654/comments/",
        "/api/v1/activities/987654/likes/",
        "/api/v1/comments/987654/likes/",
        "/api/v1/people/987654/feed/",
        "/api/v1/topics/no-such-topic/feed/",
        "/api/v1/streams/deal:987654/followers/",
        "/api/v1/streams/mention:1/followers/",
    ],
)
def test_unknown_ids_are_json_404s(api, user, path):
    api.force_authenticate(user)

    response = api.get(path)

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_others_cannot_edit_or_delete_a_post_but_the_author_can(api):
    post = make_post(body="first")
    api.force_authenticate(UserFactory())

    assert api.patch(f"/api/v1/posts/{post.pk}/", {"body": "x"}, format="json").status_code == 403
    assert api.delete(f"/api/v1/posts/{post.pk}/").status_code == 403
    assert Post.objects.get(pk=post.pk).body == "first"

    api.force_authenticate(post.author)
    edited = api.patch(f"/api/v1/posts/{post.pk}/", {"body": "_second_"}, format="json").json()
    assert (edited["body_html"], edited["edited_at"] is not None) == ("<p><em>second</em></p>", True)
    deleted = api.delete(f"/api/v1/posts/{post.pk}/").json()
    assert (deleted["deleted"], deleted["body"], deleted["body_html"]) == (True, None, None)
    assert api.get(f"/api/v1/posts/{post.pk}/").json()["deleted"] is True


def test_comment_list_create_edit_delete(api, user):
    post = make_post()
    api.force_authenticate(user)

    created = api.post(
        f"/api/v1/activities/{post.activity_id}/comments/", {"body": "Hi @nobody"}, format="json"
    )
    assert created.status_code == 201
    comment_id = created.json()["id"]
    make_comment(activity=post.activity, body="second")

    listed = api.get(f"/api/v1/activities/{post.activity_id}/comments/?limit=1").json()
    assert [c["body"] for c in listed["orderedItems"]] == ["Hi @nobody"]
    assert listed["totalItems"] == 2
    assert listed["nextCursor"] == comment_id
    rest = api.get(listed["next"]).json()
    assert [c["body"] for c in rest["orderedItems"]] == ["second"]
    assert rest["next"] is None

    patched = api.patch(f"/api/v1/comments/{comment_id}/", {"body": "**Hi**"}, format="json")
    assert patched.json()["body_html"] == "<p><strong>Hi</strong></p>"
    assert api.delete(f"/api/v1/comments/{comment_id}/").json()["deleted"] is True
    listed = api.get(f"/api/v1/activities/{post.activity_id}/comments/").json()
    assert [(c["deleted"], c["body"]) for c in listed["orderedItems"]] == [(True, None), (False, "second")]
    assert listed["totalItems"] == 1


def test_others_cannot_edit_or_delete_a_comment(api):
    comment = make_comment(activity=make_post().activity, body="mine")
    api.force_authenticate(UserFactory())

    assert api.patch(f"/api/v1/comments/{comment.pk}/", {"body": "x"}, format="json").status_code == 403
    assert api.delete(f"/api/v1/comments/{comment.pk}/").status_code == 403
    assert Comment.objects.get(pk=comment.pk).body == "mine"


def test_blank_comment_is_a_400_with_the_field(api, user):
    post = make_post()
    api.force_authenticate(user)

    response = api.post(f"/api/v1/activities/{post.activity_id}/comments/", {"body": ""}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["body"]
    assert Comment.objects.count() == 0


def test_like_unlike_and_who_liked(api, user):
    post = make_post()
    api.force_authenticate(user)

    assert api.post(f"/api/v1/activities/{post.activity_id}/like/").json() == {
        "activity": post.activity_id,
        "liked": True,
        "like_count": 1,
    }
    assert api.post(f"/api/v1/activities/{post.activity_id}/like/").json()["like_count"] == 1
    likers = api.get(f"/api/v1/activities/{post.activity_id}/likes/").json()
    assert [p["id"] for p in likers["orderedItems"]] == [user.pk]
    assert api.delete(f"/api/v1/activities/{post.activity_id}/like/").json()["like_count"] == 0
    assert Like.objects.count() == 0


def test_like_a_comment_and_who_liked_it(api, user):
    comment = make_comment(activity=make_post().activity)
    api.force_authenticate(user)

    liked = api.post(f"/api/v1/comments/{comment.pk}/like/").json()
    assert (liked["like_count"], liked["liked"]) == (1, True)
    assert [p["id"] for p in api.get(f"/api/v1/comments/{comment.pk}/likes/").json()["orderedItems"]] == [
        user.pk
    ]
    assert api.delete(f"/api/v1/comments/{comment.pk}/like/").json()["like_count"] == 0


def test_people_autocomplete_matches_username_and_names(api):
    user = UserFactory(username="viewer", first_name="Vic", last_name="Ward")
    UserFactory(username="dana", first_name="Dana", last_name="Morgan")
    UserFactory(username="dmitri", first_name="Dmitri", last_name="Ivanov")
    UserFactory(username="zoe", first_name="Zoe", last_name="Danvers")
    UserFactory(username="dave", is_active=False)
    api.force_authenticate(user)

    names = [p["username"] for p in api.get("/api/v1/people/?q=da").json()["orderedItems"]]

    assert names == ["dana", "zoe"]


def test_mentions_feed_lists_what_mentions_me(api, django_capture_on_commit_callbacks):
    dana = UserFactory(username="dana")
    with django_capture_on_commit_callbacks(execute=True):
        mention = make_post(body="cc @dana")
    make_post(body="no mention here")
    api.force_authenticate(dana)

    items = api.get("/api/v1/feed/mentions/").json()["orderedItems"]

    assert [i["id"] for i in items] == [mention.activity_id]
    assert items[0]["content"] == f'<p>cc <a href="/people/{dana.pk}/" rel="nofollow noopener">@dana</a></p>'


def test_topic_autocomplete_and_feed(api, user):
    post = make_post(body="About #pricing")
    make_post(body="About #planning")
    api.force_authenticate(user)

    topics = api.get("/api/v1/topics/?q=pr").json()["orderedItems"]
    assert topics == [{"slug": "pricing", "stream": "topic:pricing", "url": "/topics/pricing/"}]
    items = api.get("/api/v1/topics/Pricing/feed/").json()["orderedItems"]
    assert [i["id"] for i in items] == [post.activity_id]


def test_profile_feed_shows_what_a_person_did_and_what_was_posted_to_them(api, user):
    person = UserFactory()
    own = make_post(author=person)
    on_wall = make_post(stream=person.stream_key, body="Welcome!")
    make_post()
    api.force_authenticate(user)

    items = api.get(f"/api/v1/people/{person.pk}/feed/").json()["orderedItems"]

    assert [i["id"] for i in items] == [on_wall.activity_id, own.activity_id]
    assert items[0]["target"]["name"] == person.display_name


def test_company_feed_shows_everything_newest_first(api, user):
    deal = make_deal()
    post = make_post()
    api.force_authenticate(user)

    items = api.get("/api/v1/feed/company/?limit=3").json()["orderedItems"]

    assert items[0]["id"] == post.activity_id
    assert {i["object"]["type"] for i in items} == {"post", "deal", "client"}
    assert deal.stream_key in {i["object"]["stream"] for i in items}


def test_bookmark_unbookmark_and_bookmarks_feed(api, user):
    first, second = make_post(), make_post()
    api.force_authenticate(user)

    assert api.post(f"/api/v1/activities/{first.activity_id}/bookmark/").json()["bookmarked"] is True
    api.post(f"/api/v1/activities/{second.activity_id}/bookmark/")
    api.post(f"/api/v1/activities/{second.activity_id}/bookmark/")
    items = api.get("/api/v1/feed/bookmarks/").json()["orderedItems"]
    assert [(i["id"], i["bookmarked"]) for i in items] == [
        (second.activity_id, True),
        (first.activity_id, True),
    ]

    assert api.delete(f"/api/v1/activities/{second.activity_id}/bookmark/").status_code == 204
    assert list(Bookmark.objects.values_list("activity_id", flat=True)) == [first.activity_id]


def test_follow_any_stream_list_its_followers_and_unfollow(api, user):
    make_post(body="#pricing")
    deal = make_deal()
    api.force_authenticate(user)

    for stream in ("topic:pricing", deal.stream_key, deal.owner.stream_key):
        response = api.post("/api/v1/follows/", {"stream": stream, "verbs": ["Create"]}, format="json")
        assert response.json() == {
            "stream": stream,
            "following": True,
            "verbs": ["Create"],
            "muted": False,
            "include_related": True,
        }
    followers = api.get(f"/api/v1/streams/{deal.stream_key}/followers/").json()
    assert followers["totalItems"] == 2
    assert [p["id"] for p in followers["orderedItems"]] == [user.pk, deal.owner.pk]

    assert api.delete("/api/v1/follows/", {"stream": "topic:pricing"}, format="json").status_code == 204
    assert not Follow.objects.filter(user=user, stream="topic:pricing").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "stream"),
        ({"stream": "topic:never-named"}, "stream"),
        ({"stream": "deal:987654"}, "stream"),
        ({"stream": "mention:1"}, "stream"),
        ({"stream": "user:1", "verbs": "Update"}, "verbs"),
    ],
)
def test_bad_follow_is_a_400_and_follows_nothing(api, user, body, field):
    api.force_authenticate(user)

    response = api.post("/api/v1/follows/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert not Follow.objects.filter(user=user).exists()


def test_a_client_follow_leaves_out_related_records_when_followed_so_or_changed_later(api, user):
    client = make_client()
    api.force_authenticate(user)

    followed = api.post(
        "/api/v1/follows/", {"stream": client.stream_key, "include_related": False}, format="json"
    )
    muted = api.patch("/api/v1/follows/", {"stream": client.stream_key, "muted": True}, format="json")
    back = api.patch(
        "/api/v1/follows/", {"stream": client.stream_key, "include_related": True}, format="json"
    )
    via_record = api.post(f"/api/v1/clients/{client.pk}/follow/", {"include_related": False}, format="json")

    assert followed.json()["include_related"] is False
    # PATCH changes only what it names: the roll-up switch survives muting.
    assert (muted.json()["muted"], muted.json()["include_related"]) == (True, False)
    assert (back.json()["muted"], back.json()["include_related"]) == (True, True)
    assert via_record.json() == {
        "stream": client.stream_key,
        "following": True,
        "verbs": [],
        "muted": False,
        "include_related": False,
    }
    follow = Follow.objects.get(user=user, stream=client.stream_key)
    assert (follow.muted, follow.include_related) == (False, False)


@pytest.mark.parametrize(
    ("method", "body", "status", "error", "fields"),
    [
        # Nothing rolls up into a deal's stream, so there is nothing to leave out.
        ("post", {"stream": "DEAL", "include_related": False}, 400, "validation_error", ["include_related"]),
        ("patch", {"stream": "DEAL", "include_related": False}, 400, "validation_error", ["include_related"]),
        ("patch", {"stream": "CLIENT"}, 400, "validation_error", ["non_field_errors"]),
        (
            "patch",
            {"stream": "CLIENT", "include_related": "maybe"},
            400,
            "validation_error",
            ["include_related"],
        ),
        ("patch", {"stream": "OTHER_CLIENT", "muted": True}, 404, "not_found", None),
    ],
)
def test_bad_follow_settings_are_precise_4xx_and_change_nothing(
    api, user, method, body, status, error, fields
):
    deal = make_deal()
    client = deal.client
    other_client = make_client()
    follow_create(user=user, stream=client.stream_key)
    follow_create(user=user, stream=deal.stream_key)
    streams = {"DEAL": deal.stream_key, "CLIENT": client.stream_key, "OTHER_CLIENT": other_client.stream_key}
    api.force_authenticate(user)

    response = getattr(api, method)(
        "/api/v1/follows/", {**body, "stream": streams[body["stream"]]}, format="json"
    )

    assert (response.status_code, response.json()["error"]) == (status, error)
    assert (list(response.json()["fields"]) if fields else None) == fields
    assert set(Follow.objects.filter(user=user).values_list("stream", "muted", "include_related")) == {
        (client.stream_key, False, True),
        (deal.stream_key, False, True),
    }


def _news_feed_with_social_items(user, count: int) -> None:
    deal = make_deal()
    follow_create(user=user, stream=deal.stream_key)
    follow_create(user=user, stream="topic:pricing")
    fan, author = UserFactory(), UserFactory()
    for index in range(count):
        stream = deal.stream_key if index % 2 else author.stream_key
        post = make_post(author=author, stream=stream, body=f"Note {index} #pricing")
        like_create(user=user if index % 3 == 0 else fan, activity=post.activity)
        comment = make_comment(activity=post.activity, author=fan)
        comment_like_create(user=user, comment=comment)
        if index % 4 == 0:
            bookmark_create(user=user, activity=post.activity)
    for activity_id in Activity.objects.filter(object_type="post").values_list("pk", flat=True):
        activity_fanout(activity_id=activity_id)


@pytest.mark.parametrize("limit", [5, 50])
def test_news_feed_with_counts_and_my_likes_keeps_a_constant_query_count(
    api, user, limit, django_assert_num_queries
):
    _news_feed_with_social_items(user, 55)
    api.force_authenticate(user)

    # Inbox scan; visibility: posts (1, then their streams' kinds: deal, user), the posts'
    # targets (deal, user); hydration (1); current post bodies (1); polls on the posts (1). Posts
    # on both kinds of stream are on either page, so only the page size differs.
    with django_assert_num_queries(9):
        response = api.get(f"/api/v1/feed/?limit={limit}")

    items = response.json()["orderedItems"]
    assert len(items) == limit
    assert {"comment_count", "like_count", "liked", "bookmarked", "muted"} <= set(items[0])


def test_feed_items_carry_counts_my_like_and_bookmark(api, user):
    post = make_post()
    follow_create(user=user, stream=post.author.stream_key)
    activity_fanout(activity_id=post.activity_id)
    like_create(user=user, activity=post.activity)
    like_create(user=UserFactory(), activity=post.activity)
    make_comment(activity=post.activity)
    bookmark_create(user=user, activity=post.activity)
    api.force_authenticate(user)

    item = next(i for i in api.get("/api/v1/feed/").json()["orderedItems"] if i["id"] == post.activity_id)

    assert (item["comment_count"], item["like_count"], item["liked"], item["bookmarked"]) == (
        1,
        2,
        True,
        True,
    )
    assert (item["content"], item["edited"], item["deleted"]) == (
        "<p>Hello <strong>team</strong></p>",
        False,
        False,
    )


def test_feed_items_say_whether_i_muted_their_thread(api, user):
    muted, other = make_post(), make_post()
    for post in (muted, other):
        follow_create(user=user, stream=post.author.stream_key)
        activity_fanout(activity_id=post.activity_id)
    follow_create(user=user, stream=muted.stream_key, muted=True)
    follow_create(user=UserFactory(), stream=other.stream_key, muted=True)
    follow_create(user=user, stream=other.stream_key)
    api.force_authenticate(user)

    items = {i["id"]: i["muted"] for i in api.get("/api/v1/feed/").json()["orderedItems"]}

    assert items[muted.activity_id] is True
    assert items[other.activity_id] is False


def test_schema_documents_the_social_endpoints(api, user):
    api.force_authenticate(user)

    paths = api.get("/api/schema/?format=json").json()["paths"]

    for path in (
        "/api/v1/posts/",
        "/api/v1/activities/{id}/comments/",
        "/api/v1/feed/mentions/",
        "/api/v1/follows/",
        "/api/v1/streams/{stream}/followers/",
    ):
        assert path in paths


def test_search_finds_posts_and_comments_by_stemmed_words_and_skips_deleted(api, user):
    pricing = make_post(body="Our new **pricing** model for retainers")
    other = make_post(body="Lunch on Friday")
    make_comment(activity=other.activity, body="Retainer prices were discussed")
    gone = make_post(body="retainers, deleted later")
    from apps.social.services import post_delete

    post_delete(post=gone, actor=gone.author)
    api.force_authenticate(user)

    items = api.get("/api/v1/search/?q=retainer").json()["orderedItems"]

    comment_activity = Activity.objects.get(object_type="comment")
    assert [i["id"] for i in items] == [comment_activity.pk, pricing.activity_id]


def test_search_takes_the_feed_filters(api, user):
    post = make_post(body="Retainer pricing")
    make_comment(activity=post.activity, body="Retainer terms")
    api.force_authenticate(user)

    comments = api.get("/api/v1/search/?q=retainer&type=comment").json()["orderedItems"]
    posts = api.get(f"/api/v1/search/?q=retainer&type=post&actor={post.author_id}").json()["orderedItems"]

    assert [i["id"] for i in comments] == [Activity.objects.get(object_type="comment").pk]
    assert [i["id"] for i in posts] == [post.activity_id]


@pytest.mark.parametrize("query", ["", "q=", "q=x&limit=0", f"q={'x' * 201}", "q=x&type=Not-A-Type"])
def test_bad_search_is_a_400(api, user, query):
    api.force_authenticate(user)

    response = api.get(f"/api/v1/search/?{query}")

    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"


def test_profile_shows_the_person_and_my_follow_state(api, user):
    person = UserFactory(title="Designer", department="Studio", about="Hi")
    follow_create(user=user, stream=person.stream_key)
    api.force_authenticate(user)

    body = api.get(f"/api/v1/people/{person.pk}/").json()

    assert (body["id"], body["title"], body["department"], body["about"]) == (
        person.pk,
        "Designer",
        "Studio",
        "Hi",
    )
    assert (body["followers"], body["following"], body["manager"]) == (1, True, None)


def test_new_title_on_my_profile_is_news_to_my_followers(api, user, django_capture_on_commit_callbacks):
    fan = UserFactory()
    follow_create(user=fan, stream=user.stream_key)
    api.force_authenticate(user)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(
            f"/api/v1/people/{user.pk}/", {"title": "VP of Sales", "about": "x"}, format="json"
        )

    assert response.status_code == 200
    assert response.json()["title"] == "VP of Sales"
    update = Activity.objects.get(verb="Update", object_type="user")
    assert [(c["field"], c["old"], c["new"]) for c in update.changes] == [
        ("title", "Account Executive", "VP of Sales")
    ]
    assert update.summary == f"{user.display_name} updated their title"
    assert InboxEntry.objects.filter(user=fan, activity=update).exists()


def test_only_the_person_or_staff_edit_a_profile_and_bad_fields_are_400(api, user):
    other = UserFactory()
    api.force_authenticate(other)
    assert api.patch(f"/api/v1/people/{user.pk}/", {"title": "Intern"}, format="json").status_code == 403

    api.force_authenticate(user)
    response = api.patch(f"/api/v1/people/{user.pk}/", {"timezone": "Mars/Olympus"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["timezone"]
    assert api.get("/api/v1/people/987654/").status_code == 404

    api.force_authenticate(UserFactory(is_staff=True))
    assert (
        api.patch(f"/api/v1/people/{user.pk}/", {"title": "Intern"}, format="json").json()["title"]
        == "Intern"
    )


def test_feeds_filter_by_verb_actor_kind_and_date(api, user):
    deal = make_deal()
    from apps.records.services import record_update

    record_update(record=deal, actor=user, data={"stage": "negotiation"})
    post = make_post(author=user, stream=deal.stream_key)
    update = Activity.objects.get(verb="Update")
    api.force_authenticate(user)

    def ids(query: str) -> list[int]:
        response = api.get(f"/api/v1/feed/company/?{query}")
        assert response.status_code == 200
        return [i["id"] for i in response.json()["orderedItems"]]

    assert ids("verb=Update") == [update.pk]
    assert ids(f"actor={user.pk}") == [post.activity_id, update.pk]
    assert ids(f"actor={user.pk}&type=post") == [post.activity_id]
    assert ids("since=2000-01-01T00:00:00Z&until=2001-01-01T00:00:00Z") == []
    record_feed = api.get(f"/api/v1/deals/{deal.pk}/feed/?verb=Create&type=deal").json()["orderedItems"]
    assert [i["object"]["stream"] for i in record_feed] == [deal.stream_key]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("actor=abc", "actor"),
        ("type=Deal;drop", "type"),
        ("since=yesterday", "since"),
        ("since=2025-01-02T00:00:00Z&until=2025-01-01T00:00:00Z", "until"),
    ],
)
def test_bad_feed_filters_are_400_with_the_field(api, user, query, field):
    api.force_authenticate(user)

    response = api.get(f"/api/v1/feed/?{query}")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]


def test_muting_a_thread_stops_its_replies_reaching_me(api, django_capture_on_commit_callbacks):
    post = make_post()
    api.force_authenticate(post.author)

    response = api.post("/api/v1/follows/", {"stream": f"post:{post.pk}", "muted": True}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        make_comment(activity=post.activity, body="ping")

    assert response.json()["muted"] is True
    reply = Activity.objects.get(object_type="comment")
    assert not InboxEntry.objects.filter(user=post.author, activity=reply).exists()


def test_share_a_post_to_my_profile_reaches_my_followers_and_names_the_original(
    api, user, django_capture_on_commit_callbacks
):
    deal = make_deal()
    post = make_post(author=deal.owner, stream=deal.stream_key, body="Signed")
    fan = UserFactory()
    follow_create(user=fan, stream=user.stream_key)
    api.force_authenticate(user)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/v1/activities/{post.activity_id}/share/",
            {"stream": user.stream_key, "body": "Great work"},
            format="json",
        )

    assert response.status_code == 201
    item = response.json()
    assert (item["type"], item["object"]["stream"], item["target"]["stream"]) == (
        "Announce",
        f"post:{post.pk}",
        user.stream_key,
    )
    assert item["summary"] == f"{user.display_name} shared Signed"
    assert item["content"] == "<p>Great work</p>"
    assert (item["object"]["content"], item["object"]["deleted"]) == ("<p>Signed</p>", False)
    shared = Activity.objects.get(pk=item["id"])
    assert shared.payload == {"content": "<p>Great work</p>", "shared_activity": post.activity_id}
    assert InboxEntry.objects.filter(user=fan, activity=shared).exists()


@pytest.mark.parametrize("stream", ["", "deal:987654", "mention:1"])
def test_share_to_a_bad_stream_is_a_400(api, user, stream):
    post = make_post()
    api.force_authenticate(user)

    response = api.post(f"/api/v1/activities/{post.activity_id}/share/", {"stream": stream}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["stream"]
    assert not Activity.objects.filter(verb="Announce").exists()


def test_public_group_join_post_and_feed(api, user, django_capture_on_commit_callbacks):
    owner = UserFactory()
    api.force_authenticate(owner)
    group = api.post("/api/v1/groups/", {"name": "Pricing guild"}, format="json").json()
    assert (group["member"], group["is_private"], group["stream"]) == (True, False, f"group:{group['id']}")

    api.force_authenticate(user)
    joined = api.post(f"/api/v1/groups/{group['id']}/members/", {}, format="json")
    assert joined.json() == {"group": group["id"], "user": user.pk, "role": "member"}
    with django_capture_on_commit_callbacks(execute=True):
        post = make_post(author=owner, stream=group["stream"], body="Welcome")

    assert InboxEntry.objects.filter(user=user, activity_id=post.activity_id).exists()
    feed = api.get(f"/api/v1/groups/{group['id']}/feed/").json()["orderedItems"]
    assert feed[0]["id"] == post.activity_id
    assert feed[0]["target"]["name"] == "Pricing guild"
    members = api.get(f"/api/v1/groups/{group['id']}/members/").json()["orderedItems"]
    assert [(m["id"], m["role"]) for m in members] == [(owner.pk, "admin"), (user.pk, "member")]

    assert api.delete(f"/api/v1/groups/{group['id']}/members/", {}, format="json").status_code == 204
    assert not Follow.objects.filter(user=user, stream=group["stream"]).exists()


def test_private_group_content_is_invisible_to_outsiders_and_only_admins_add_members(
    api, user, django_capture_on_commit_callbacks
):
    from apps.social.services import group_create

    owner, insider = UserFactory(), UserFactory()
    group = group_create(actor=owner, name="Board", is_private=True)
    api.force_authenticate(user)

    # Listed by name, so people can ask to join; everything inside stays members-only.
    assert [(g["name"], g["member"]) for g in api.get("/api/v1/groups/").json()["orderedItems"]] == [
        ("Board", False)
    ]
    assert api.get(f"/api/v1/groups/{group.pk}/feed/").status_code == 404
    assert api.get(f"/api/v1/groups/{group.pk}/members/").status_code == 404
    assert api.post(f"/api/v1/groups/{group.pk}/members/", {}, format="json").status_code == 202
    assert not Membership.objects.filter(group=group, user=user).exists()
    assert (
        api.post("/api/v1/posts/", {"body": "hi", "stream": group.stream_key}, format="json").status_code
        == 400
    )

    api.force_authenticate(owner)
    assert (
        api.post(f"/api/v1/groups/{group.pk}/members/", {"user": insider.pk}, format="json").status_code
        == 200
    )
    # A mention cannot leak a private post to a non-member.
    user.username = "outsider"
    user.save(update_fields=["username"])
    with django_capture_on_commit_callbacks(execute=True):
        post = make_post(author=owner, stream=group.stream_key, body="Numbers for @outsider")

    assert InboxEntry.objects.filter(user=insider, activity_id=post.activity_id).exists()
    assert not InboxEntry.objects.filter(user=user, activity_id=post.activity_id).exists()
    api.force_authenticate(user)
    assert api.get(f"/api/v1/posts/{post.pk}/").status_code == 404
    assert api.get(f"/api/v1/activities/{post.activity_id}/comments/").status_code == 404
    assert post.activity_id not in [i["id"] for i in api.get("/api/v1/feed/company/").json()["orderedItems"]]


def test_bad_group_is_a_400(api, user):
    api.force_authenticate(user)

    response = api.post("/api/v1/groups/", {"name": "", "is_private": "maybe"}, format="json")

    assert response.status_code == 400
    assert sorted(response.json()["fields"]) == ["is_private", "name"]
