import pytest
from standardwebhooks import Webhook

from apps.activity.services import ObjectRef, activity_publish
from apps.integrations.models import WebhookDelivery, WebhookSubscription
from tests.integrations.factories import make_key
from tests.integrations.webhook_server import webhook_receiver
from tests.records.factories import make_deal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    settings.FEEDHUB_WEBHOOKS = {**settings.FEEDHUB_WEBHOOKS, "ALLOWED_NETWORKS": ["127.0.0.1/32"]}


@pytest.fixture
def manager(api):
    issued = make_key(scopes=["webhooks:manage"])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    api.integration = issued.key.integration
    return api


def test_subscribe_then_receive_then_read_the_log_and_redeliver(manager, django_capture_on_commit_callbacks):
    with webhook_receiver() as receiver:
        created = manager.post("/api/v1/webhooks/", {"url": receiver.url, "verbs": ["Update"]}, format="json")
        assert created.status_code == 201
        secret = created.json()["secret"]
        assert secret.startswith("whsec_")
        deal = make_deal()
        with django_capture_on_commit_callbacks(execute=True):
            activity_publish(actor=deal.owner, verb="Update", obj=ObjectRef("deal", str(deal.pk), deal.name))

        log = manager.get(f"/api/v1/webhooks/{created.json()['id']}/deliveries/")
        delivery = log.json()["results"][0]
        with django_capture_on_commit_callbacks(execute=True):
            again = manager.post(f"/api/v1/webhooks/deliveries/{delivery['id']}/redeliver/")

        assert Webhook(secret).verify(receiver.requests[0].body, receiver.requests[0].headers)["type"] == (
            "activity.created"
        )
        assert len(receiver.requests) == 2
    assert log.status_code == 200
    assert (delivery["status"], delivery["attempts"], [a["status_code"] for a in delivery["log"]]) == (
        "delivered",
        1,
        [200],
    )
    assert log.json()["next"] is None
    assert again.status_code == 202
    listed = manager.get("/api/v1/webhooks/").json()
    assert [s["url"] for s in listed] == [created.json()["url"]]
    assert "secret" not in listed[0]


def test_rotate_returns_a_new_secret_and_delete_removes(manager):
    created = manager.post("/api/v1/webhooks/", {"url": "https://hooks.example.com/in"}, format="json").json()

    rotated = manager.post(f"/api/v1/webhooks/{created['id']}/rotate-secret/")
    deleted = manager.delete(f"/api/v1/webhooks/{created['id']}/")

    assert rotated.status_code == 200
    assert rotated.json()["secret"] != created["secret"]
    assert deleted.status_code == 204
    assert WebhookSubscription.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"url": "https://x.example.com/", "verbs": [""]}, {"verbs.0": ["This field may not be blank."]}),
        ({"url": "ftp://x.example.com/"}, {"url": ["Webhook URLs must use https or http."]}),
        ({"url": "not a url"}, {"url": ["Enter a valid URL."]}),
    ],
)
def test_bad_subscription_is_a_400_with_field_paths(manager, body, fields):
    response = manager.post("/api/v1/webhooks/", body, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == fields
    assert WebhookSubscription.objects.count() == 0


def test_another_integrations_subscription_is_not_found(manager, api):
    theirs = make_key(scopes=["webhooks:manage"])
    from rest_framework.test import APIClient

    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {theirs.secret}")
    created = other.post("/api/v1/webhooks/", {"url": "https://hooks.example.com/in"}, format="json").json()

    assert manager.delete(f"/api/v1/webhooks/{created['id']}/").status_code == 404
    assert manager.post(f"/api/v1/webhooks/{created['id']}/rotate-secret/").status_code == 404
    assert manager.get(f"/api/v1/webhooks/{created['id']}/deliveries/").status_code == 404
    assert WebhookSubscription.objects.filter(pk=created["id"]).exists()
    assert WebhookDelivery.objects.count() == 0


def test_managing_webhooks_needs_the_scope(key_api):
    response = key_api.post("/api/v1/webhooks/", {"url": "https://hooks.example.com/in"}, format="json")

    assert response.status_code == 403
    assert WebhookSubscription.objects.count() == 0
