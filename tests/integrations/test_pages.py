"""The integrations pages: who may see and change what, secrets shown once, and the services behind them."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from standardwebhooks import Webhook

from apps.activity.services import ObjectRef, activity_publish
from apps.integrations.models import ApiKey, IntegrationApp, WebhookDelivery, WebhookSubscription
from apps.integrations.selectors import api_key_for_secret
from apps.integrations.services.keys import api_key_revoke
from apps.integrations.services.webhooks import webhook_subscription_create
from tests.accounts.factories import UserFactory
from tests.integrations.factories import make_integration, make_key
from tests.integrations.webhook_server import webhook_receiver
from tests.records.factories import make_deal

pytestmark = pytest.mark.django_db

SECRET = re.compile(r'<code class="secret-value" id="revealed-secret">([^<]+)</code>')


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    settings.FEEDHUB_WEBHOOKS = {**settings.FEEDHUB_WEBHOOKS, "ALLOWED_NETWORKS": ["127.0.0.1/32"]}


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(is_staff=True))
    return client


@pytest.fixture
def owner():
    return UserFactory()


@pytest.fixture
def owner_client(owner):
    client = Client()
    client.force_login(owner)
    return client


def _revealed(response) -> str:
    found = SECRET.findall(response.content.decode())
    assert len(found) == 1
    return found[0]


def _post_event(client, secret: str):
    body = {
        "type": "Create",
        "actor": {"type": "Application"},
        "object": "INV-1001",
        "summary": "Invoice sent",
    }
    return client.generic(
        "POST",
        "/api/v1/events/",
        json.dumps(body),
        content_type="application/activity+json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


def _publish_about(deal, capture):
    with capture(execute=True):
        return activity_publish(
            actor=deal.owner, verb="Update", obj=ObjectRef("deal", str(deal.pk), deal.name)
        )


# Who may see what ------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client):
    integration = make_integration()

    listing = client.get("/integrations/")
    detail = client.get(f"/integrations/{integration.pk}/")
    create = client.post("/integrations/", {"name": "Sneaky", "owner": integration.owner.username})

    assert listing.status_code == detail.status_code == create.status_code == 302
    assert listing["Location"] == "/login/?next=/integrations/"
    assert not IntegrationApp.objects.filter(name="Sneaky").exists()


def test_someone_who_owns_no_integration_gets_a_403_page_and_404_for_ids(client, user):
    integration = make_integration()
    client.force_login(user)

    listing = client.get("/integrations/")
    detail = client.get(f"/integrations/{integration.pk}/")

    assert listing.status_code == 403
    assert "Integrations are managed by their owners and by staff." in listing.content.decode()
    assert detail.status_code == 404


def test_an_owner_sees_only_their_integrations_with_key_counts_and_last_use(owner_client, owner):
    mine = make_integration(name="Billing", owner=owner)
    used = make_key(integration=mine)
    make_key(integration=mine)
    api_key_revoke(key=make_key(integration=mine).key)
    api_key_for_secret(raw=used.secret)
    theirs = make_integration(name="Someone else's CRM")

    html = owner_client.get("/integrations/").content.decode()

    assert f'href="/integrations/{mine.pk}/">Billing</a>' in html
    assert "<span data-keys>2 live keys, 1 revoked</span>" in html
    assert "last used <time" in html
    assert theirs.name not in html
    assert owner_client.get(f"/integrations/{theirs.pk}/").status_code == 404


def test_only_staff_create_integrations(owner_client, owner):
    make_integration(owner=owner)

    response = owner_client.post("/integrations/", {"name": "Act as anyone", "owner": owner.username})

    assert response.status_code == 403
    assert "Only staff create integrations" in response.content.decode()
    assert not IntegrationApp.objects.filter(name="Act as anyone").exists()
    assert 'id="new-integration"' not in owner_client.get("/integrations/").content.decode()


def _actions(integration: IntegrationApp) -> dict[str, tuple[str, dict]]:
    key = make_key(integration=integration).key
    subscription = webhook_subscription_create(integration=integration, url="https://hooks.example.com/a")
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, activity_id=1, webhook_id="msg_x", payload={}, status="delivered"
    )
    base = f"/integrations/{integration.pk}"
    return {
        "new key": (f"{base}/keys/", {"name": "stolen", "scopes": ["events:write"]}),
        "revoke": (f"{base}/keys/{key.pk}/revoke/", {}),
        "new webhook": (f"{base}/webhooks/", {"url": "https://evil.example.com/"}),
        "rotate": (f"{base}/webhooks/{subscription.pk}/rotate-secret/", {}),
        "delete": (f"{base}/webhooks/{subscription.pk}/delete/", {}),
        "redeliver": (f"{base}/deliveries/{delivery.pk}/redeliver/", {}),
    }


@pytest.mark.parametrize("action", ["new key", "revoke", "new webhook", "rotate", "delete", "redeliver"])
def test_other_peoples_integrations_are_not_found_and_left_untouched(owner_client, owner, action):
    make_integration(owner=owner)
    theirs = make_integration()
    path, data = _actions(theirs)[action]
    before = (
        list(ApiKey.objects.values_list("pk", "revoked_at", "digest")),
        list(WebhookSubscription.objects.values_list("pk", "secret")),
        list(WebhookDelivery.objects.values_list("pk", "status", "attempts")),
    )

    response = owner_client.post(path, data)

    assert response.status_code == 404
    assert before == (
        list(ApiKey.objects.values_list("pk", "revoked_at", "digest")),
        list(WebhookSubscription.objects.values_list("pk", "secret")),
        list(WebhookDelivery.objects.values_list("pk", "status", "attempts")),
    )


@pytest.mark.parametrize("who", ["staff", "owner"])
def test_the_navigation_links_integrations_for_staff_and_owners_only(client, user, who):
    manager = UserFactory(is_staff=True) if who == "staff" else make_integration().owner
    link = '<a href="/integrations/"'

    client.force_login(manager)
    shown = client.get("/").content.decode()
    client.force_login(user)
    hidden = client.get("/").content.decode()

    assert link in shown
    assert link not in hidden


# Integrations ----------------------------------------------------------------------------------


def test_staff_see_every_integration_and_create_one_for_an_owner(staff, owner):
    existing = make_integration(name="CI server")

    listing = staff.get("/integrations/").content.decode()
    response = staff.post("/integrations/", {"name": "Billing", "owner": owner.username})

    assert existing.name in listing
    created = IntegrationApp.objects.get(name="Billing")
    assert created.owner == owner
    assert response.status_code == 302
    assert response["Location"] == f"/integrations/{created.pk}/"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "CI server", "owner": "OWNER"}, "name", "Integration app with this Name already exists."),
        ({"name": "Billing", "owner": "nobody-here"}, "owner", "No active user with this username."),
        ({"name": "", "owner": "OWNER"}, "name", "This field is required."),
    ],
)
def test_invalid_integration_is_a_400_with_the_error_next_to_its_field(staff, owner, data, field, message):
    make_integration(name="CI server")
    data = {k: owner.username if v == "OWNER" else v for k, v in data.items()}

    response = staff.post("/integrations/", data)

    html = response.content.decode()
    assert response.status_code == 400
    assert f'<ul class="field-errors" id="id_{field}_errors"><li>{message}</li></ul>' in html
    assert f'name="{field}"' in html
    assert IntegrationApp.objects.count() == 1


def test_posting_without_a_csrf_token_is_refused(owner):
    integration = make_integration(owner=owner)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)

    response = strict.post(f"/integrations/{integration.pk}/keys/", {"name": "x", "scopes": ["events:write"]})

    assert response.status_code == 403
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("count", [2, 12])
def test_the_list_page_costs_the_same_queries_whatever_the_number_of_integrations(
    staff, count, django_assert_num_queries
):
    for _ in range(count):
        integration = make_integration()
        make_key(integration=integration)
        make_key(integration=integration)

    # Session, user, then one query for the integrations with their owners and key figures.
    with django_assert_num_queries(3):
        response = staff.get("/integrations/")

    assert response.content.decode().count("<span data-keys>2 live keys</span>") == count


@pytest.mark.parametrize("subscriptions", [1, 4])
def test_the_integration_page_costs_the_same_queries_whatever_its_webhooks_and_deliveries(
    staff, subscriptions, django_assert_num_queries
):
    integration = make_integration()
    make_key(integration=integration)
    for n in range(subscriptions):
        subscription = webhook_subscription_create(
            integration=integration, url=f"https://hooks.example.com/{n}"
        )
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(subscription=subscription, activity_id=a, webhook_id=f"msg_{n}_{a}", payload={})
            for a in range(7)
        )

    # Session, user, the integration, its keys, its subscriptions, their newest deliveries.
    with django_assert_num_queries(6):
        response = staff.get(f"/integrations/{integration.pk}/")

    html = response.content.decode()
    assert html.count("<tr data-delivery=") == 5 * subscriptions
    assert "<code>msg_0_6</code>" in html
    assert "<code>msg_0_1</code>" not in html


# API keys --------------------------------------------------------------------------------------


def test_a_new_key_shows_its_secret_once_and_it_authenticates(owner_client, owner):
    integration = make_integration(owner=owner)

    response = owner_client.post(
        f"/integrations/{integration.pk}/keys/",
        {"name": "CRM sync", "scopes": ["events:write", "feeds:read"]},
    )

    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    secret = _revealed(response)
    key = ApiKey.objects.get(integration=integration)
    assert (key.name, key.scopes) == ("CRM sync", ["events:write", "feeds:read"])
    assert api_key_for_secret(raw=secret) == key
    page = owner_client.get(f"/integrations/{integration.pk}/").content.decode()
    assert secret not in page
    assert f"<code>{key.prefix}…</code>" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "no scopes"}, "scopes", "A key needs at least one scope."),
        ({"name": "bad", "scopes": ["events:delete"]}, "scopes", "Select a valid choice."),
        ({"name": "x" * 101, "scopes": ["events:write"]}, "name", "Ensure this value has at most 100"),
    ],
)
def test_an_invalid_key_is_a_400_with_the_error_next_to_its_field(owner_client, owner, data, field, message):
    integration = make_integration(owner=owner)

    response = owner_client.post(f"/integrations/{integration.pk}/keys/", data)

    html = response.content.decode()
    assert response.status_code == 400
    assert f'<ul class="field-errors" id="id_{field}_errors"><li>{message}' in html
    assert 'id="revealed-secret"' not in html
    assert not ApiKey.objects.exists()


def test_revoking_a_key_makes_the_api_refuse_it(owner_client, owner, api):
    integration = make_integration(owner=owner)
    issued = make_key(integration=integration, scopes=["events:write"])
    assert _post_event(api, issued.secret).status_code == 201

    response = owner_client.post(f"/integrations/{integration.pk}/keys/{issued.key.pk}/revoke/")

    assert response.status_code == 302
    refused = _post_event(api, issued.secret)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "Invalid or revoked API key."
    page = owner_client.get(f"/integrations/{integration.pk}/").content.decode()
    assert '<span class="tag off">Revoked <time' in page


# Webhooks --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://hooks.example.com/feedhub", "Webhook URLs must use https or http."),
        ("https://", "Webhook URLs must use https or http."),
        ("https://exa mple.com/x", "Enter a valid URL."),
    ],
)
def test_a_refused_webhook_url_is_a_400_with_the_services_error_next_to_it(owner_client, owner, url, message):
    integration = make_integration(owner=owner)

    response = owner_client.post(f"/integrations/{integration.pk}/webhooks/", {"url": url})

    html = response.content.decode()
    assert response.status_code == 400
    assert f'<ul class="field-errors" id="id_url_errors"><li>{message}</li></ul>' in html
    assert 'aria-invalid="true"' in html
    assert not WebhookSubscription.objects.exists()


def test_a_new_webhook_keeps_its_filters_and_shows_its_secret_once(owner_client, owner):
    integration = make_integration(owner=owner)

    response = owner_client.post(
        f"/integrations/{integration.pk}/webhooks/",
        {
            "url": "https://hooks.example.com/feedhub",
            "record_types": ["deal", "ext"],
            "verbs": "Update, deal.won,",
            "streams": "deal:42",
        },
    )

    assert response.status_code == 201
    subscription = WebhookSubscription.objects.get(integration=integration)
    assert _revealed(response) == subscription.secret
    assert (subscription.record_types, subscription.verbs, subscription.streams) == (
        ["deal", "ext"],
        ["Update", "deal.won"],
        ["deal:42"],
    )
    assert subscription.secret not in owner_client.get(f"/integrations/{integration.pk}/").content.decode()


def test_rotating_a_secret_keeps_both_secrets_signing_as_the_service_does(
    owner_client, owner, django_capture_on_commit_callbacks
):
    integration = make_integration(owner=owner)
    with webhook_receiver() as receiver:
        created = owner_client.post(f"/integrations/{integration.pk}/webhooks/", {"url": receiver.url})
        old_secret = _revealed(created)
        subscription = WebhookSubscription.objects.get()

        rotated = owner_client.post(
            f"/integrations/{integration.pk}/webhooks/{subscription.pk}/rotate-secret/"
        )
        new_secret = _revealed(rotated)
        _publish_about(make_deal(), django_capture_on_commit_callbacks)

    assert rotated.status_code == 200
    assert new_secret != old_secret
    subscription.refresh_from_db()
    assert subscription.previous_secret_expires_at > timezone.now() + timedelta(hours=23)
    request = receiver.requests[0]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old_secret).verify(request.body, request.headers)["type"] == "activity.created"
    assert Webhook(new_secret).verify(request.body, request.headers)["type"] == "activity.created"


def test_deliveries_are_listed_and_redelivered_with_the_same_webhook_id(
    owner_client, owner, django_capture_on_commit_callbacks
):
    integration = make_integration(owner=owner)
    with webhook_receiver() as receiver:
        receiver.script = [503]
        webhook_subscription_create(integration=integration, url=receiver.url)
        _publish_about(make_deal(), django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get()
        page = owner_client.get(f"/integrations/{integration.pk}/").content.decode()

        with django_capture_on_commit_callbacks(execute=True):
            response = owner_client.post(
                f"/integrations/{integration.pk}/deliveries/{delivery.pk}/redeliver/"
            )

    row = re.search(rf'<tr data-delivery="{delivery.pk}">.*?</tr>', page, re.S).group(0)
    assert '<span class="tag">Pending</span>' in row
    assert "<td>1</td>" in row
    assert "<td>503</td>" in row
    assert response.status_code == 302
    assert [r.headers["webhook-id"] for r in receiver.requests] == [delivery.webhook_id] * 2
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)


def test_deleting_a_subscription_removes_it_and_its_deliveries(owner_client, owner):
    integration = make_integration(owner=owner)
    subscription = webhook_subscription_create(integration=integration, url="https://hooks.example.com/a")
    WebhookDelivery.objects.create(subscription=subscription, activity_id=1, webhook_id="msg_1", payload={})

    response = owner_client.post(f"/integrations/{integration.pk}/webhooks/{subscription.pk}/delete/")

    assert response.status_code == 302
    assert not WebhookSubscription.objects.exists()
    assert not WebhookDelivery.objects.exists()
