import pytest

from apps.activity.models import Activity, Follow
from apps.activity.services import follow_create
from apps.records.models import Deal
from apps.records.services import record_update
from tests.accounts.factories import UserFactory
from tests.records.factories import make_brief, make_client, make_deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal():
    return make_deal()


def test_patch_stage_returns_the_updated_deal_and_records_the_change(api, deal):
    editor = UserFactory()
    api.force_authenticate(editor)

    response = api.patch(f"/api/v1/deals/{deal.pk}/", {"stage": "negotiation"}, format="json")

    assert response.status_code == 200
    assert response.json()["stage"] == "negotiation"
    assert response.json()["stage_display"] == "Negotiation"
    latest = Activity.objects.latest("pk")
    assert (latest.verb, latest.actor_id, latest.source) == ("Update", editor.pk, "web")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stage": "won-ish"}, "stage"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"close_date": "next tuesday"}, "close_date"),
        ({"name": ["not", "a", "string"]}, "name"),
        ({"owner": 999999}, "owner"),
        ({"client": "acme"}, "client"),
    ],
)
def test_bad_patch_is_a_400_with_field_errors_and_changes_nothing(api, deal, body, field):
    api.force_authenticate(deal.owner)
    before = Activity.objects.count()

    response = api.patch(f"/api/v1/deals/{deal.pk}/", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"
    assert list(response.json()["fields"]) == [field]
    assert Activity.objects.count() == before
    fresh = Deal.objects.get(pk=deal.pk)
    assert (fresh.stage, fresh.amount, fresh.name) == (deal.stage, deal.amount, deal.name)


def test_malformed_json_is_a_400(api, deal):
    api.force_authenticate(deal.owner)

    response = api.generic("PATCH", f"/api/v1/deals/{deal.pk}/", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"] == "parse_error"


def test_non_object_body_is_a_400(api, deal):
    api.force_authenticate(deal.owner)

    response = api.patch(f"/api/v1/deals/{deal.pk}/", ["stage"], format="json")

    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"


def test_anonymous_requests_are_refused_with_json(api, deal):
    response = api.get(f"/api/v1/deals/{deal.pk}/")
    assert response.status_code in (401, 403)
    assert response.json()["error"] == "not_authenticated"

    response = api.patch(f"/api/v1/deals/{deal.pk}/", {"stage": "negotiation"}, format="json")
    assert response.status_code in (401, 403)
    assert Deal.objects.get(pk=deal.pk).stage == deal.stage


def test_unknown_deal_and_unknown_endpoint_are_json_404s(api, user):
    api.force_authenticate(user)

    assert api.get("/api/v1/deals/987654/").json()["error"] == "not_found"
    response = api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_create_deal_makes_creator_a_follower(api, user):
    client = make_client()
    api.force_authenticate(user)

    response = api.post(
        "/api/v1/deals/", {"client": client.pk, "name": "Globex retainer", "amount": "5000"}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["stage"], body["amount"], body["following"]) == (
        "Globex retainer",
        "prospecting",
        "5000.00",
        True,
    )
    assert Follow.objects.filter(user=user, stream=f"deal:{body['id']}").exists()


def test_create_client_and_brief_and_list_them(api, user):
    api.force_authenticate(user)
    client = api.post("/api/v1/clients/", {"name": "Hooli", "tier": "key"}, format="json").json()
    brief = api.post("/api/v1/briefs/", {"client": client["id"], "title": "Hooli launch film"}, format="json")

    assert brief.status_code == 201
    assert brief.json()["client"] == {"id": client["id"], "name": "Hooli"}
    listed = api.get("/api/v1/clients/").json()
    assert [c["name"] for c in listed["orderedItems"]] == ["Hooli"]
    assert listed["orderedItems"][0]["following"] is True


def test_follow_and_unfollow_a_deal(api, deal, user):
    api.force_authenticate(user)

    response = api.post(f"/api/v1/deals/{deal.pk}/follow/", {"verbs": ["Update"]}, format="json")
    assert response.status_code == 200
    assert Follow.objects.get(user=user, stream=deal.stream_key).verbs == ["Update"]
    assert api.get(f"/api/v1/deals/{deal.pk}/").json()["following"] is True

    assert api.delete(f"/api/v1/deals/{deal.pk}/follow/").status_code == 204
    assert not Follow.objects.filter(user=user, stream=deal.stream_key).exists()


def test_record_feed_lists_the_deals_history_newest_first(api, deal, user):
    record_update(record=deal, actor=deal.owner, data={"stage": "negotiation"})
    api.force_authenticate(user)

    items = api.get(f"/api/v1/deals/{deal.pk}/feed/").json()["orderedItems"]

    assert [i["type"] for i in items] == ["Update", "Create"]
    assert items[0]["object"] == {
        "type": "deal",
        "id": str(deal.pk),
        "stream": deal.stream_key,
        "name": "ACME rebrand",
        "url": f"/deals/{deal.pk}/",
    }


def _feed_with_items(user, count: int) -> None:
    deal = make_deal()
    follow_create(user=user, stream=deal.stream_key)
    stages = ["negotiation", "proposal"]
    from apps.activity.services import activity_fanout

    for index in range(count):
        record_update(record=deal, actor=deal.owner, data={"stage": stages[index % 2]})
        activity_fanout(activity_id=Activity.objects.latest("pk").pk)


@pytest.mark.parametrize("limit", [5, 50])
def test_news_feed_query_count_does_not_grow_with_page_size(api, user, limit, django_assert_num_queries):
    _feed_with_items(user, 60)
    api.force_authenticate(user)

    # The inbox range scan, one visibility check per record kind on the page, one page hydration.
    with django_assert_num_queries(3):
        response = api.get(f"/api/v1/feed/?limit={limit}")

    assert len(response.json()["orderedItems"]) == limit


@pytest.mark.parametrize("limit", [5, 50])
def test_record_feed_query_count_does_not_grow_with_page_size(api, user, limit, django_assert_num_queries):
    deal = make_deal()
    for index in range(60):
        record_update(record=deal, actor=deal.owner, data={"stage": ["negotiation", "proposal"][index % 2]})
    api.force_authenticate(user)

    # The deal itself, one range scan of its stream, one visibility check per record kind,
    # one page hydration (counts, likes, bookmarks).
    with django_assert_num_queries(4):
        response = api.get(f"/api/v1/deals/{deal.pk}/feed/?limit={limit}")

    assert len(response.json()["orderedItems"]) == limit


def test_news_feed_pages_by_cursor_without_gaps_or_repeats(api, user):
    _feed_with_items(user, 12)
    api.force_authenticate(user)

    seen, url = [], "/api/v1/feed/?limit=5"
    while url:
        page = api.get(url).json()
        seen += [item["id"] for item in page["orderedItems"]]
        url = page["next"]

    assert seen == sorted(seen, reverse=True)
    assert len(seen) == len(set(seen)) == 12


@pytest.mark.parametrize("query", ["before=abc", "before=-1", "limit=0", "limit=1000"])
def test_bad_feed_parameters_are_400(api, user, query):
    api.force_authenticate(user)

    response = api.get(f"/api/v1/feed/?{query}")

    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"


def test_record_lists_search_by_name_or_title_among_what_i_may_see_and_page_with_the_search(api, user):
    owner = UserFactory()
    acme = make_client(owner=owner, name="ACME Corporation")
    make_client(owner=owner, name="Globex")
    for n in range(3):
        make_deal(owner=owner, client=acme, name=f"Acme renewal {n}")
    make_deal(owner=owner, client=acme, name="Acme secret merger", visibility="private")
    make_brief(owner=owner, client=acme, title="ACME spring film")
    api.force_authenticate(user)

    first = api.get("/api/v1/deals/?q=acme&limit=2").json()
    rest = api.get(first["next"]).json()

    assert [d["name"] for d in first["orderedItems"] + rest["orderedItems"]] == [
        "Acme renewal 2",
        "Acme renewal 1",
        "Acme renewal 0",
    ]
    assert rest["next"] is None
    clients = api.get("/api/v1/clients/?q=acm").json()["orderedItems"]
    briefs = api.get("/api/v1/briefs/?q=Spring").json()["orderedItems"]
    assert [c["name"] for c in clients] == ["ACME Corporation"]
    assert [b["title"] for b in briefs] == ["ACME spring film"]
    too_long = api.get("/api/v1/deals/?q=" + "x" * 101)
    assert too_long.status_code == 400
    assert too_long.json()["error"] == "validation_error"
