import pytest

from apps.records.services import record_update
from tests.accounts.factories import UserFactory
from tests.records.factories import make_deal

pytestmark = pytest.mark.django_db


def test_person_feed_lists_what_that_person_did_newest_first(api, user):
    actor, bystander = UserFactory(first_name="Bo", last_name="Ray"), UserFactory()
    deal = make_deal(owner=bystander)
    record_update(record=deal, actor=actor, data={"stage": "negotiation"})
    record_update(record=deal, actor=bystander, data={"stage": "closed_won"})
    record_update(record=deal, actor=actor, data={"stage": "closed_lost"})
    api.force_authenticate(user)

    response = api.get(f"/api/v1/people/{actor.pk}/feed/")

    assert response.status_code == 200
    assert [item["summary"] for item in response.json()["orderedItems"]] == [
        "Bo Ray moved ACME rebrand from Closed won to Closed lost",
        "Bo Ray moved ACME rebrand from Proposal to Negotiation",
    ]
    assert response.json()["next"] is None


@pytest.mark.parametrize("limit", [5, 40])
def test_person_feed_query_count_does_not_grow_with_page_size(api, user, limit, django_assert_num_queries):
    deal = make_deal()
    for index in range(45):
        record_update(record=deal, actor=deal.owner, data={"stage": ["negotiation", "proposal"][index % 2]})
    api.force_authenticate(user)

    # The person, one range scan of their stream, one visibility check per record kind, and
    # one query for the page's social fields (counts, likes, bookmarks).
    with django_assert_num_queries(4):
        response = api.get(f"/api/v1/people/{deal.owner.pk}/feed/?limit={limit}")

    assert len(response.json()["orderedItems"]) == limit
    assert response.json()["nextCursor"] == response.json()["orderedItems"][-1]["id"]


def test_unknown_or_deactivated_person_feed_is_a_json_404(api, user):
    gone = UserFactory(is_active=False)
    api.force_authenticate(user)

    for pk in (gone.pk, 999999):
        response = api.get(f"/api/v1/people/{pk}/feed/")
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"


def test_person_feed_requires_authentication(api, user):
    response = api.get(f"/api/v1/people/{user.pk}/feed/")

    assert response.status_code in (401, 403)


def test_person_page_shows_profile_fields_and_points_the_feed_at_their_stream(client, user):
    manager = UserFactory(first_name="Ann", last_name="Lee")
    person = UserFactory(
        first_name="Bo", last_name="Ray", title="Sales Director", department="Sales", manager=manager
    )
    client.force_login(user)

    response = client.get(f"/people/{person.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 id="person-name">Bo Ray</h1>' in html
    assert "Sales Director" in html
    assert f'<a href="/people/{manager.pk}/">Ann Lee</a>' in html
    assert f'data-feed-url="/api/v1/people/{person.pk}/feed/"' in html
    assert f'data-stream="user:{person.pk}"' in html


def test_person_page_of_someone_unknown_is_404_and_anonymous_visitors_sign_in_first(client, user):
    assert client.get(f"/people/{user.pk}/").url == f"/login/?next=/people/{user.pk}/"
    client.force_login(user)
    assert client.get("/people/999999/").status_code == 404
