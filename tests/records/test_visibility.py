"""Record visibility: the rules, sharing through the API, and every read path honouring them."""

import pytest

from apps.activity.models import Activity, InboxEntry
from apps.activity.selectors import follower_count, followers_list, news_feed
from apps.activity.services import follow_create
from apps.notifications.models import Notification, UnreadCounter
from apps.records import access
from apps.records.models import Deal, Visibility
from apps.records.services import record_share, record_unshare, record_update, record_visibility_set
from apps.social.models import Membership
from apps.social.services import group_create, membership_remove, post_create
from tests.accounts.factories import UserFactory
from tests.records.factories import make_brief, make_client, make_deal

# Real commits: fan-out, notifications and access listeners run after commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


def _sees(user, record) -> bool:
    return bool(access.visible_ids(type(record), user, [str(record.pk)]))


def test_private_client_is_visible_to_its_owner_shares_group_members_and_admins_only():
    owner, friend, member, stranger = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    admin = UserFactory(is_staff=True)
    client = make_client(owner=owner, visibility=Visibility.PRIVATE)
    group = group_create(actor=owner, name="Key accounts", is_private=True)
    Membership.objects.create(group=group, user=member)

    record_share(record=client, actor=owner, users=[friend], groups=[group])

    assert [_sees(u, client) for u in (owner, friend, member, admin, stranger)] == [
        True,
        True,
        True,
        True,
        False,
    ]
    assert access.users_who_can_see(client, [owner.pk, friend.pk, member.pk, admin.pk, stranger.pk]) == {
        owner.pk,
        friend.pk,
        member.pk,
        admin.pk,
    }


def test_briefs_and_deals_inherit_the_clients_restriction_unless_shared_more_widely():
    owner, friend, stranger = UserFactory(), UserFactory(), UserFactory()
    client = make_client(owner=owner, visibility=Visibility.PRIVATE)
    record_share(record=client, actor=owner, users=[friend])
    inherited = make_deal(owner=owner, client=client)
    widened = make_brief(owner=owner, client=client, visibility=Visibility.COMPANY)
    brief_shared = make_brief(owner=owner, client=client, title="Shared brief")
    record_share(record=brief_shared, actor=owner, users=[stranger])

    assert inherited.visibility == Visibility.INHERIT
    assert (_sees(friend, inherited), _sees(stranger, inherited)) == (True, False)
    assert (_sees(friend, widened), _sees(stranger, widened)) == (True, True)
    assert (_sees(stranger, brief_shared), _sees(stranger, client)) == (True, False)


def test_a_private_deal_under_a_company_client_is_hidden_from_the_clients_audience():
    owner, colleague = UserFactory(), UserFactory()
    deal = make_deal(owner=owner, visibility=Visibility.PRIVATE)

    assert _sees(colleague, deal.client)
    assert not _sees(colleague, deal)


def test_a_client_cannot_inherit_visibility():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        make_client(visibility=Visibility.INHERIT)


def test_sharing_and_unsharing_are_activities_on_the_record():
    owner, friend = UserFactory(), UserFactory()
    deal = make_deal(owner=owner, visibility=Visibility.PRIVATE)

    record_share(record=deal, actor=owner, users=[friend])
    record_unshare(record=deal, actor=owner, users=[friend])
    record_visibility_set(record=deal, actor=owner, visibility=Visibility.COMPANY)

    verbs = list(Activity.objects.filter(object_type="deal", object_id=str(deal.pk)).order_by("pk"))
    assert [a.verb for a in verbs] == ["Create", "Add", "Remove", "Update"]
    assert verbs[1].payload["shared_with"] == [{"type": "user", "id": friend.pk, "name": friend.display_name}]
    assert "stopped sharing" in verbs[2].summary
    assert verbs[3].changes[0]["field"] == "visibility"


def test_only_the_owner_or_an_admin_changes_who_sees_a_record():
    from django.core.exceptions import PermissionDenied

    deal = make_deal()
    with pytest.raises(PermissionDenied):
        record_share(record=deal, actor=UserFactory(), users=[UserFactory()])
    record_visibility_set(record=deal, actor=UserFactory(is_staff=True), visibility=Visibility.PRIVATE)
    assert Deal.objects.get(pk=deal.pk).visibility == Visibility.PRIVATE


def test_inbox_rows_written_before_access_was_lost_leave_the_feed():
    owner, friend = UserFactory(), UserFactory()
    deal = make_deal(owner=owner, visibility=Visibility.PRIVATE)
    record_share(record=deal, actor=owner, users=[friend])
    follow_create(user=friend, stream=deal.stream_key)
    record_update(record=deal, actor=owner, data={"stage": Deal.Stage.NEGOTIATION})
    assert InboxEntry.objects.filter(user=friend).exists()
    assert news_feed(user=friend).items

    record_unshare(record=deal, actor=owner, users=[friend])

    assert InboxEntry.objects.filter(user=friend).exists()
    assert news_feed(user=friend).items == []


def test_fan_out_skips_followers_who_may_not_see_the_record():
    owner, follower = UserFactory(), UserFactory()
    deal = make_deal(owner=owner)
    follow_create(user=follower, stream=deal.stream_key)
    record_visibility_set(record=deal, actor=owner, visibility=Visibility.PRIVATE)

    record_update(record=deal, actor=owner, data={"stage": Deal.Stage.CLOSED_WON})

    latest = Activity.objects.latest("pk")
    assert InboxEntry.objects.filter(activity=latest, user=owner).exists()
    assert not InboxEntry.objects.filter(activity=latest, user=follower).exists()


def test_followers_who_lost_access_leave_the_follower_list_and_count():
    owner, follower = UserFactory(), UserFactory()
    deal = make_deal(owner=owner)
    follow_create(user=follower, stream=deal.stream_key)
    assert follower_count(stream=deal.stream_key) == 2

    record_visibility_set(record=deal, actor=owner, visibility=Visibility.PRIVATE)

    assert follower_count(stream=deal.stream_key) == 1
    assert followers_list(stream=deal.stream_key) == [owner]


def test_unread_notifications_about_a_record_stop_counting_when_access_is_lost():
    owner, friend = UserFactory(), UserFactory()
    deal = make_deal(owner=owner, visibility=Visibility.PRIVATE)
    record_share(record=deal, actor=owner, users=[friend])
    follow_create(user=friend, stream=deal.stream_key)
    record_update(record=deal, actor=owner, data={"stage": Deal.Stage.NEGOTIATION})
    assert UnreadCounter.objects.get(user=friend).unread == 1

    record_unshare(record=deal, actor=owner, users=[friend])

    assert UnreadCounter.objects.get(user=friend).unread == 0
    assert not Notification.objects.filter(recipient=friend, unread=True).exists()


def test_a_mention_on_a_private_record_does_not_notify_someone_who_cannot_see_it():
    owner, outsider = UserFactory(), UserFactory()
    deal = make_deal(owner=owner, visibility=Visibility.PRIVATE)

    post_create(author=owner, stream=deal.stream_key, body=f"@{outsider.username} look")

    assert not Notification.objects.filter(recipient=outsider).exists()
    assert not InboxEntry.objects.filter(user=outsider).exists()


def test_leaving_a_group_loses_the_records_shared_with_it():
    owner, member = UserFactory(), UserFactory()
    client = make_client(owner=owner, visibility=Visibility.PRIVATE)
    group = group_create(actor=owner, name="Pitch team")
    Membership.objects.create(group=group, user=member)
    record_share(record=client, actor=owner, groups=[group])
    assert _sees(member, client)

    membership_remove(group=group, user=member, actor=member)

    assert not _sees(member, client)


# REST


def test_an_invisible_record_is_a_404_everywhere_in_its_api(api):
    deal = make_deal(visibility=Visibility.PRIVATE)
    api.force_authenticate(UserFactory())
    base = f"/api/v1/deals/{deal.pk}/"

    responses = [
        api.get(base),
        api.patch(base, {"stage": "negotiation"}, format="json"),
        api.get(base + "feed/"),
        api.post(base + "follow/", {}, format="json"),
        api.get(base + "shares/"),
        api.post(base + "shares/", {"users": [deal.owner_id]}, format="json"),
        api.get(f"/api/v1/streams/{deal.stream_key}/followers/"),
        api.get("/api/v1/people/", {"q": "", "stream": deal.stream_key}),
    ]

    assert [r.status_code for r in responses] == [404] * len(responses)
    assert all(r.json()["error"] == "not_found" for r in responses)


def test_record_lists_leave_out_private_records(api):
    visible, hidden = (
        make_client(name="Open Co"),
        make_client(name="Secret Co", visibility=Visibility.PRIVATE),
    )
    api.force_authenticate(UserFactory())

    names = [r["name"] for r in api.get("/api/v1/clients/").json()["orderedItems"]]

    assert visible.name in names
    assert hidden.name not in names


def test_creating_a_deal_under_an_invisible_client_looks_like_an_unknown_client(api):
    client = make_client(visibility=Visibility.PRIVATE)
    api.force_authenticate(UserFactory())

    response = api.post("/api/v1/deals/", {"client": client.pk, "name": "Sneaky"}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"]["client"] == [f'Invalid pk "{client.pk}" - object does not exist.']


def test_owner_shares_and_unshares_over_the_api(api):
    owner, friend = UserFactory(), UserFactory()
    deal = make_deal(owner=owner)
    api.force_authenticate(owner)

    made_private = api.patch(f"/api/v1/deals/{deal.pk}/", {"visibility": "private"}, format="json")
    shared = api.post(f"/api/v1/deals/{deal.pk}/shares/", {"users": [friend.pk]}, format="json")
    listed = api.get(f"/api/v1/deals/{deal.pk}/shares/")
    api.force_authenticate(friend)
    seen_by_friend = api.get(f"/api/v1/deals/{deal.pk}/")
    api.force_authenticate(owner)
    unshared = api.delete(f"/api/v1/deals/{deal.pk}/shares/users/{friend.pk}/")
    api.force_authenticate(friend)
    after = api.get(f"/api/v1/deals/{deal.pk}/")

    assert made_private.json()["visibility"] == "private"
    assert shared.status_code == 201
    assert [(s["type"], s["id"]) for s in listed.json()["orderedItems"]] == [("user", friend.pk)]
    assert seen_by_friend.status_code == 200
    assert unshared.status_code == 204
    assert after.status_code == 404


def test_someone_it_is_shared_with_cannot_reshare_it(api):
    owner, friend = UserFactory(), UserFactory()
    deal = make_deal(owner=owner, visibility=Visibility.PRIVATE)
    record_share(record=deal, actor=owner, users=[friend])
    api.force_authenticate(friend)

    response = api.post(f"/api/v1/deals/{deal.pk}/shares/", {"users": [UserFactory().pk]}, format="json")

    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "non_field_errors"),
        ({"users": [999999]}, "users"),
        ({"groups": ["x"]}, "groups.0"),
        ({"users": "everyone"}, "users"),
    ],
)
def test_bad_share_requests_are_400s_naming_the_field(api, body, field):
    deal = make_deal()
    api.force_authenticate(deal.owner)

    response = api.post(f"/api/v1/deals/{deal.pk}/shares/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_sharing_with_a_private_group_one_cannot_see_is_refused_as_unknown(api):
    deal = make_deal()
    hidden = group_create(actor=UserFactory(), name="Board", is_private=True)
    api.force_authenticate(deal.owner)

    response = api.post(f"/api/v1/deals/{deal.pk}/shares/", {"groups": [hidden.pk]}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"]["groups"] == [f"No group with id {hidden.pk}."]


def test_unsharing_someone_it_is_not_shared_with_is_a_404(api):
    deal = make_deal()
    api.force_authenticate(deal.owner)

    assert api.delete(f"/api/v1/deals/{deal.pk}/shares/users/{UserFactory().pk}/").status_code == 404


def test_mention_autocomplete_on_a_private_record_suggests_only_people_who_may_see_it(api):
    owner = UserFactory(username="zed-owner")
    friend, outsider = UserFactory(username="zed-friend"), UserFactory(username="zed-outsider")
    deal = make_deal(owner=owner, visibility=Visibility.PRIVATE)
    record_share(record=deal, actor=owner, users=[friend])
    api.force_authenticate(owner)

    response = api.get("/api/v1/people/", {"q": "zed", "stream": deal.stream_key})

    assert [p["username"] for p in response.json()["orderedItems"]] == ["zed-friend", "zed-owner"]
    assert outsider.username not in str(response.json())


def test_record_pages_of_private_records_are_404_for_others(client):
    deal = make_deal(visibility=Visibility.PRIVATE)
    client.force_login(UserFactory())

    assert client.get(f"/deals/{deal.pk}/").status_code == 404
    assert deal.name not in client.get("/deals/").content.decode()


def test_company_feed_and_search_leave_out_private_records(api):
    owner = UserFactory()
    deal = make_deal(owner=owner, visibility=Visibility.PRIVATE)
    post_create(author=owner, stream=deal.stream_key, body="quarterly zebrafish numbers")
    api.force_authenticate(UserFactory())

    company = api.get("/api/v1/feed/company/").json()["orderedItems"]
    found = api.get("/api/v1/search/", {"q": "zebrafish"}).json()["orderedItems"]

    assert all(deal.name not in str(item) for item in company)
    assert found == []
