"""Integration API keys on the records API: records:read to read, records:write to change."""

import pytest

from apps.activity.models import Activity
from apps.records.models import Deal
from tests.integrations.factories import make_key
from tests.records.factories import make_deal

pytestmark = pytest.mark.django_db


def _key_client(api, *scopes):
    issued = make_key(scopes=scopes)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    return issued


def test_records_read_key_lists_and_reads_records_as_the_integration_owner(api):
    deal = make_deal()
    _key_client(api, "records:read")

    listed = api.get("/api/v1/deals/")
    detail = api.get(f"/api/v1/deals/{deal.pk}/")
    feed = api.get(f"/api/v1/deals/{deal.pk}/feed/")

    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["orderedItems"]] == [deal.pk]
    assert detail.status_code == 200
    assert detail.json()["stage"] == "proposal"
    assert feed.status_code == 200


def test_records_write_key_changes_a_record_and_the_change_is_an_api_activity(api):
    deal = make_deal()
    issued = _key_client(api, "records:read", "records:write")

    response = api.patch(f"/api/v1/deals/{deal.pk}/", {"stage": "negotiation"}, format="json")

    assert response.status_code == 200
    update = Activity.objects.filter(object_id=str(deal.pk), verb="Update").get()
    assert update.source == "api"
    assert update.actor_id == issued.key.integration.owner_id


@pytest.mark.parametrize(
    ("method", "path", "body", "missing"),
    [
        ("get", "/api/v1/deals/", None, "records:read"),
        ("get", "/api/v1/deals/{pk}/", None, "records:read"),
        ("patch", "/api/v1/deals/{pk}/", {"stage": "won"}, "records:write"),
        ("post", "/api/v1/deals/{pk}/follow/", {}, "records:write"),
    ],
)
def test_key_without_the_records_scope_gets_403_insufficient_scope_and_changes_nothing(
    api, method, path, body, missing
):
    deal = make_deal()
    held = {"records:read", "records:write"} - {missing}
    _key_client(api, "events:write", *held)

    response = getattr(api, method)(path.format(pk=deal.pk), body, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "error": "insufficient_scope",
        "detail": f"This API key lacks the scope(s): {missing}.",
    }
    deal.refresh_from_db()
    assert deal.stage == Deal.Stage.PROPOSAL
    assert Activity.objects.filter(verb="Update").count() == 0


def test_scoped_key_on_an_unknown_record_is_404_not_403(api):
    _key_client(api, "records:read")

    response = api.get("/api/v1/deals/999999/")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_record_operations_document_the_key_scheme_and_feeds_do_not(api, user):
    api.force_authenticate(user)

    paths = api.get("/api/schema/", {"format": "json"}).json()["paths"]

    assert {"integrationApiKey": []} in paths["/api/v1/deals/{id}/"]["patch"]["security"]
    assert {"integrationApiKey": []} in paths["/api/v1/deals/"]["get"]["security"]
    assert all("integrationApiKey" not in r for r in paths["/api/v1/feed/"]["get"]["security"])
