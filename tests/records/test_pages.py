import pytest

from apps.activity.services import follow_create
from apps.social.services import group_create
from tests.accounts.factories import UserFactory
from tests.records.factories import make_brief, make_client, make_deal

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("count", [2, 12])
def test_deal_list_page_links_every_deal_in_a_constant_number_of_queries(
    client, user, count, django_assert_num_queries
):
    owner = UserFactory(first_name="Bo", last_name="Ray")
    acme = make_client(owner=owner)
    deals = [make_deal(owner=owner, client=acme, name=f"Deal {n}") for n in range(count)]
    client.force_login(user)

    # Session, user, one query for the deals with their owners and clients, and the navigation's
    # "does this person own an integration?" (the Integrations link).
    with django_assert_num_queries(4):
        response = client.get("/deals/")

    html = response.content.decode()
    assert response.status_code == 200
    for deal in deals:
        assert f'<a class="row-title" href="/deals/{deal.pk}/">{deal.name}</a>' in html
    assert html.count('<span class="tag">Proposal</span>') == count


def test_client_and_brief_list_pages_link_their_records(client, user):
    acme = make_client(name="ACME Corporation")
    brief = make_brief(client=acme, title="Spring campaign")
    client.force_login(user)

    clients_html = client.get("/clients/").content.decode()
    briefs_html = client.get("/briefs/").content.decode()

    assert f'href="/clients/{acme.pk}/">ACME Corporation</a>' in clients_html
    assert f'href="/briefs/{brief.pk}/">Spring campaign</a>' in briefs_html
    assert "<h1>Briefs</h1>" in briefs_html


def test_record_page_shows_followers_and_my_stage_changes_only_filter(client, user):
    deal = make_deal()
    follow_create(user=user, stream=deal.stream_key, verbs=["Update"])
    client.force_login(user)

    html = client.get(f"/deals/{deal.pk}/").content.decode()

    assert '<span class="count" id="follower-count">2</span>' in html
    assert f'<a href="/people/{user.pk}/">' in html
    assert '<option value="Update" selected>' in html
    assert 'aria-pressed="true">Following</button>' in html


def test_record_page_for_a_non_follower_offers_to_follow_everything(client, user):
    deal = make_deal()
    client.force_login(user)

    html = client.get(f"/deals/{deal.pk}/").content.decode()

    assert '<option value="" selected>Everything</option>' in html
    assert 'aria-pressed="false">Follow</button>' in html


def test_list_pages_ask_anonymous_visitors_to_sign_in(client):
    assert client.get("/deals/").url == "/login/?next=/deals/"


def test_sharing_card_offers_public_groups_and_my_private_ones_only(client, user):
    public = group_create(actor=user, name="Sales floor")
    mine = group_create(actor=user, name="My circle", is_private=True)
    theirs = group_create(actor=UserFactory(), name="Board", is_private=True)
    deal = make_deal(owner=user)
    client.force_login(user)

    html = client.get(f"/deals/{deal.pk}/").content.decode()

    assert f'<option value="{public.pk}">Sales floor</option>' in html
    assert f'<option value="{mine.pk}">My circle</option>' in html
    assert f'<option value="{theirs.pk}">' not in html
