"""The dashboard page (server-rendered): figures, filters, links into feeds, errors."""

import pytest

from tests.accounts.factories import PASSWORD
from tests.analytics.factories import DAY1, DAY2

pytestmark = pytest.mark.django_db


def test_dashboard_shows_figures_charts_and_links_into_feeds(client, story):
    client.login(username="eve", password=PASSWORD)

    page = client.get(f"/analytics/?since={DAY1}&until={DAY2}").content.decode()

    assert 'data-measure="activities">7<' in page
    assert "<svg" in page
    assert f'href="/deals/{story.deal.pk}/">Deal X</a>' in page
    assert "No topic is rising." in page
    assert "Pricing council" not in page
    assert 'href="/analytics/" aria-current="page"' in page


def test_dashboard_rejects_a_bad_period_with_a_message(client, story):
    client.login(username="eve", password=PASSWORD)

    response = client.get("/analytics/?period=fortnight")

    assert response.status_code == 400
    assert "period" in response.content.decode()


def test_dashboard_needs_a_sign_in(client):
    assert client.get("/analytics/").status_code == 302


def test_managers_can_opt_in_to_the_pulse_from_the_dashboard(client, story):
    story.bob.manager = story.ann
    story.bob.save(update_fields=["manager"])
    client.login(username="ann", password=PASSWORD)

    assert "weekly pulse" in client.get("/analytics/").content.decode()
    response = client.post("/analytics/pulse/", {"enabled": "on"})

    assert response.status_code == 302
    assert "checked" in client.get("/analytics/").content.decode()
