import pytest

from apps.activity.services import follow_create
from apps.notifications import services
from apps.notifications.models import Notification
from apps.notifications.reasons import Reason
from apps.records.models import Deal
from tests.accounts.factories import UserFactory
from tests.notifications.factories import change_stage, like
from tests.records.factories import make_deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    return UserFactory()


def notified_deals(reader, count: int, django_capture_on_commit_callbacks) -> list[Deal]:
    """`count` deals the reader follows, each with one change: one notification each."""
    deals = [make_deal(name=f"Deal {i}") for i in range(count)]
    for deal in deals:
        follow_create(user=reader, stream=deal.stream_key)
    with django_capture_on_commit_callbacks(execute=True):
        for deal in deals:
            change_stage(deal, actor=deal.owner, stage=Deal.Stage.NEGOTIATION)
    return deals


def test_list_is_newest_first_with_a_cursor_and_the_unread_count(
    api, reader, django_capture_on_commit_callbacks, django_assert_num_queries
):
    deals = notified_deals(reader, 3, django_capture_on_commit_callbacks)
    api.force_authenticate(reader)

    # the page, the deals' visibility (one per kind on the page), the unread counter
    with django_assert_num_queries(3):
        first = api.get("/api/v1/notifications/?limit=2").json()
    second = api.get(f"/api/v1/notifications/?limit=2&before={first['nextCursor']}").json()

    assert [n["target"] for n in first["orderedItems"]] == [deals[2].stream_key, deals[1].stream_key]
    assert [n["target"] for n in second["orderedItems"]] == [deals[0].stream_key]
    assert (first["unread"], second["next"], second["nextCursor"]) == (3, None, None)
    item = first["orderedItems"][0]
    assert item["reason"] == "record_changed"
    assert item["unread"] is True
    assert item["url"] == f"/deals/{deals[2].pk}/"
    assert item["actor"]["id"] == deals[2].owner.pk
    assert item["activity"]["changes"][0]["new"] == "negotiation"
    assert item["title"] == f"{deals[2].owner.display_name} moved Deal 2 from Proposal to Negotiation"


def test_list_query_count_does_not_grow_with_the_page(
    api, reader, django_capture_on_commit_callbacks, django_assert_num_queries
):
    notified_deals(reader, 12, django_capture_on_commit_callbacks)
    api.force_authenticate(reader)

    with django_assert_num_queries(3):
        response = api.get("/api/v1/notifications/?limit=10")

    assert len(response.json()["orderedItems"]) == 10


def test_unread_filter_and_unread_count_endpoint(
    api, reader, django_capture_on_commit_callbacks, django_assert_num_queries
):
    notified_deals(reader, 2, django_capture_on_commit_callbacks)
    api.force_authenticate(reader)
    oldest = Notification.objects.filter(recipient=reader).order_by("pk").first()
    services.notification_mark_read(user=reader, notification=oldest)

    with django_assert_num_queries(1):
        count = api.get("/api/v1/notifications/unread-count/").json()
    unread_items = api.get("/api/v1/notifications/?unread=true").json()["orderedItems"]

    assert count == {"unread": 1}
    assert [n["id"] for n in unread_items] == [
        Notification.objects.filter(recipient=reader).order_by("pk").last().pk
    ]


def test_mark_one_read_returns_the_new_count_and_is_idempotent(
    api, reader, django_capture_on_commit_callbacks
):
    notified_deals(reader, 2, django_capture_on_commit_callbacks)
    api.force_authenticate(reader)
    target = Notification.objects.filter(recipient=reader).first()

    first = api.post(f"/api/v1/notifications/{target.pk}/read/")
    again = api.post(f"/api/v1/notifications/{target.pk}/read/")

    assert (first.status_code, first.json()) == (200, {"unread": 1})
    assert (again.status_code, again.json()) == (200, {"unread": 1})


def test_someone_elses_notification_is_a_404_and_stays_unread(
    api, reader, django_capture_on_commit_callbacks
):
    notified_deals(reader, 1, django_capture_on_commit_callbacks)
    theirs = Notification.objects.get(recipient=reader)
    api.force_authenticate(UserFactory())

    response = api.post(f"/api/v1/notifications/{theirs.pk}/read/")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.unread is True


def test_read_all_up_to_a_cursor_leaves_newer_ones_unread(api, reader, django_capture_on_commit_callbacks):
    notified_deals(reader, 3, django_capture_on_commit_callbacks)
    api.force_authenticate(reader)
    middle = Notification.objects.filter(recipient=reader).order_by("activity_id")[1]

    response = api.post("/api/v1/notifications/read-all/", {"before": middle.activity_id}, format="json")
    rest = api.post("/api/v1/notifications/read-all/", {}, format="json")

    assert response.json() == {"marked": 2, "unread": 1}
    assert rest.json() == {"marked": 1, "unread": 0}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/notifications/"),
        ("get", "/api/v1/notifications/unread-count/"),
        ("post", "/api/v1/notifications/1/read/"),
        ("post", "/api/v1/notifications/read-all/"),
        ("get", "/api/v1/notifications/preferences/"),
        ("put", "/api/v1/notifications/preferences/"),
    ],
)
def test_anonymous_requests_are_refused(api, method, path):
    response = getattr(api, method)(path)

    assert response.status_code in (401, 403)
    assert response.json()["error"] == "not_authenticated"


def test_bad_cursor_is_a_400(api, reader):
    api.force_authenticate(reader)

    response = api.get("/api/v1/notifications/?before=abc")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["before"]


def test_preferences_start_from_defaults(api, reader):
    api.force_authenticate(reader)

    body = api.get("/api/v1/notifications/preferences/").json()

    assert body["channels"]["assigned"] == "instant"
    assert body["channels"]["record_changed"] == "digest"
    assert set(body["channels"]) == set(Reason.values)
    assert (body["muted_streams"], body["digest_frequency"], body["quiet_start"], body["timezone"]) == (
        [],
        "daily",
        None,
        "UTC",
    )


def test_put_preferences_changes_what_it_names_and_keeps_the_rest(api, reader):
    deal = make_deal()
    api.force_authenticate(reader)

    response = api.put(
        "/api/v1/notifications/preferences/",
        {
            "channels": {"record_changed": "off"},
            "muted_streams": [deal.stream_key],
            "quiet_start": "22:00",
            "quiet_end": "07:00",
        },
        format="json",
    )
    later = api.put("/api/v1/notifications/preferences/", {"digest_frequency": "weekly"}, format="json")

    assert response.status_code == 200
    body = later.json()
    assert (body["channels"]["record_changed"], body["channels"]["assigned"]) == ("off", "instant")
    assert body["muted_streams"] == [deal.stream_key]
    assert (body["quiet_start"], body["quiet_end"], body["digest_frequency"]) == ("22:00", "07:00", "weekly")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channels": {"record_changed": "loud"}}, "channels.record_changed"),
        ({"channels": {"gossip": "off"}}, "channels"),
        ({"muted_streams": ["nothing:1"]}, "muted_streams.0"),
        ({"digest_frequency": "hourly"}, "digest_frequency"),
        ({"quiet_start": "22:00"}, "quiet_end"),
        ({"quiet_start": "25:00", "quiet_end": "07:00"}, "quiet_start"),
    ],
)
def test_bad_preferences_are_a_400_and_change_nothing(api, reader, body, field):
    api.force_authenticate(reader)
    before = api.get("/api/v1/notifications/preferences/").json()

    response = api.put("/api/v1/notifications/preferences/", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"
    assert list(response.json()["fields"]) == [field]
    assert api.get("/api/v1/notifications/preferences/").json() == before


def test_schema_documents_the_notification_endpoints(api, reader):
    api.force_authenticate(reader)

    paths = api.get("/api/schema/?format=json").json()["paths"]

    assert {
        "/api/v1/notifications/",
        "/api/v1/notifications/unread-count/",
        "/api/v1/notifications/{id}/read/",
        "/api/v1/notifications/read-all/",
        "/api/v1/notifications/preferences/",
    } <= set(paths)


def test_liked_notification_shape_over_rest(api, django_capture_on_commit_callbacks):
    deal = make_deal()
    liker = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        activity = like(deal, actor=liker)
    services.notify(recipients=[deal.owner.pk], reason=Reason.LIKED, activity=activity)
    api.force_authenticate(deal.owner)

    [item] = [n for n in api.get("/api/v1/notifications/").json()["orderedItems"] if n["reason"] == "liked"]

    assert (item["actor"]["id"], item["actor_count"], item["activity"]["type"]) == (liker.pk, 1, "Like")


def test_a_join_request_and_a_comment_like_over_rest_show_in_the_bell_with_their_words(api, reader):
    from apps.social.services import comment_create, group_create, post_create

    owner = UserFactory(first_name="Olga", last_name="Ito")
    group = group_create(actor=owner, name="Board", is_private=True)
    post = post_create(author=owner, stream=owner.stream_key, body="Plans?")
    comment = comment_create(author=owner, activity=post.activity, body="Friday works")
    reader.first_name, reader.last_name = "Ann", "Lee"
    reader.save(update_fields=["first_name", "last_name"])
    api.force_authenticate(reader)

    assert api.post(f"/api/v1/groups/{group.pk}/members/", {}, format="json").status_code == 202
    assert api.post(f"/api/v1/comments/{comment.pk}/like/").status_code == 200
    api.force_authenticate(owner)
    items = api.get("/api/v1/notifications/").json()["orderedItems"]

    assert [(n["reason"], n["title"], n["url"]) for n in items] == [
        # A comment has no page of its own: the link goes to its thread.
        ("liked", "Ann Lee liked your comment “Friday works”", f"/posts/{post.pk}/"),
        ("join_requested", "Ann Lee asked to join Board", f"/groups/{group.pk}/"),
    ]
