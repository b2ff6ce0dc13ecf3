import json
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from apps.activity.services import ObjectRef, activity_publish
from apps.integrations.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from apps.integrations.services.webhooks import (
    webhook_deliver,
    webhook_redeliver,
    webhook_secret_rotate,
    webhook_subscription_create,
)
from apps.integrations.tasks import retry_due_webhooks_task
from apps.integrations.transport import UnsafeDestinationError, check_address
from tests.integrations.factories import make_integration
from tests.integrations.webhook_server import webhook_receiver
from tests.records.factories import make_deal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    settings.FEEDHUB_WEBHOOKS = {**settings.FEEDHUB_WEBHOOKS, "ALLOWED_NETWORKS": ["127.0.0.1/32"]}


@pytest.fixture
def receiver():
    with webhook_receiver() as r:
        yield r


def _publish(deal, verb="Update", capture=None):
    with capture(execute=True):
        return activity_publish(actor=deal.owner, verb=verb, obj=ObjectRef("deal", str(deal.pk), deal.name))


def _make_due(delivery_id: int) -> None:
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_activity_is_delivered_signed_the_standard_webhooks_way(receiver, django_capture_on_commit_callbacks):
    integration = make_integration()
    subscription = webhook_subscription_create(integration=integration, url=receiver.url)
    deal = make_deal(name="ACME rebrand")

    activity = _publish(deal, capture=django_capture_on_commit_callbacks)

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request.path == "/hooks"
    payload = Webhook(subscription.secret).verify(request.body, request.headers)
    assert payload["type"] == "activity.created"
    assert payload["data"]["feedhub:activity"] == activity.pk
    assert payload["data"]["object"]["id"] == f"feedhub:deal:{deal.pk}"
    delivery = WebhookDelivery.objects.get()
    assert request.headers["webhook-id"] == delivery.webhook_id
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert WebhookAttempt.objects.filter(delivery=delivery, status_code=200).count() == 1


def test_a_tampered_body_fails_verification(receiver, django_capture_on_commit_callbacks):
    subscription = webhook_subscription_create(integration=make_integration(), url=receiver.url)
    _publish(make_deal(), capture=django_capture_on_commit_callbacks)
    request = receiver.requests[0]

    with pytest.raises(Exception, match="No matching signature found"):
        Webhook(subscription.secret).verify(request.body.replace(b"deal", b"dael"), request.headers)


@pytest.mark.parametrize(
    ("filters", "delivered"),
    [
        ({}, True),
        ({"verbs": ["Update"]}, True),
        ({"verbs": ["Create"]}, False),
        ({"record_types": ["deal"]}, True),
        ({"record_types": ["brief"]}, False),
        ({"streams": ["deal:STREAM"]}, True),
        ({"streams": ["deal:0"]}, False),
    ],
)
def test_subscription_filters_choose_what_is_delivered(
    receiver, filters, delivered, django_capture_on_commit_callbacks
):
    deal = make_deal()
    if "streams" in filters:
        filters = {"streams": [s.replace("STREAM", str(deal.pk)) for s in filters["streams"]]}
    webhook_subscription_create(integration=make_integration(), url=receiver.url, **filters)

    _publish(deal, capture=django_capture_on_commit_callbacks)

    assert len(receiver.requests) == (1 if delivered else 0)
    assert WebhookDelivery.objects.count() == (1 if delivered else 0)


def test_failures_are_retried_with_backoff_and_the_same_webhook_id(
    receiver, django_capture_on_commit_callbacks
):
    receiver.script = [500, 503]
    webhook_subscription_create(integration=make_integration(), url=receiver.url)
    before = timezone.now()

    _publish(make_deal(), capture=django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    # First retry after 5 s ± 20 % jitter.
    assert before + timedelta(seconds=4) <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=6)
    assert retry_due_webhooks_task.delay().get() == 0

    _make_due(delivery.pk)
    retry_due_webhooks_task.delay().get()
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (2, 503)
    assert delivery.next_attempt_at >= timezone.now() + timedelta(seconds=240)

    _make_due(delivery.pk)
    retry_due_webhooks_task.delay().get()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert {r.headers["webhook-id"] for r in receiver.requests} == {delivery.webhook_id}
    assert len(receiver.requests) == 3
    assert list(
        WebhookAttempt.objects.filter(delivery=delivery).order_by("pk").values_list("status_code", flat=True)
    ) == [
        500,
        503,
        200,
    ]


def test_retries_span_about_three_days_then_the_delivery_fails(receiver, settings):
    schedule = settings.FEEDHUB_WEBHOOKS["RETRY_SCHEDULE_SECONDS"]
    assert 2.5 * 86400 <= sum(schedule) <= 3.5 * 86400
    receiver.script = [500] * (len(schedule) + 1)
    subscription = webhook_subscription_create(integration=make_integration(), url=receiver.url)
    # A real activity the integration's owner may see: each attempt re-checks access.
    deal = make_deal()
    activity = activity_publish(
        actor=deal.owner, verb="Update", obj=ObjectRef("deal", str(deal.pk), deal.name)
    )
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        activity_id=activity.pk,
        webhook_id="msg_x",
        payload={},
        next_attempt_at=timezone.now(),
    )

    statuses = []
    for _ in range(len(schedule) + 1):
        _make_due(delivery.pk)
        statuses.append(webhook_deliver(delivery_id=delivery.pk))

    assert statuses == ["pending"] * len(schedule) + ["failed"]
    _make_due(delivery.pk)
    assert webhook_deliver(delivery_id=delivery.pk) == "skipped"
    assert len(receiver.requests) == len(schedule) + 1


def test_410_gone_disables_the_subscription(receiver, django_capture_on_commit_callbacks):
    receiver.script = [410]
    subscription = webhook_subscription_create(integration=make_integration(), url=receiver.url)

    _publish(make_deal(), capture=django_capture_on_commit_callbacks)
    _publish(make_deal(), capture=django_capture_on_commit_callbacks)

    subscription.refresh_from_db()
    assert subscription.is_active is False
    assert subscription.disabled_reason == "The endpoint answered 410 Gone."
    assert WebhookDelivery.objects.get().status == "cancelled"
    assert len(receiver.requests) == 1


def test_redirects_are_not_followed(receiver, django_capture_on_commit_callbacks):
    receiver.script = [302]
    webhook_subscription_create(integration=make_integration(), url=receiver.url)

    _publish(make_deal(), capture=django_capture_on_commit_callbacks)

    assert [r.path for r in receiver.requests] == ["/hooks"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == ("pending", 302)


def test_a_slow_receiver_times_out_and_is_retried(receiver, settings, django_capture_on_commit_callbacks):
    settings.FEEDHUB_WEBHOOKS = {**settings.FEEDHUB_WEBHOOKS, "TIMEOUT_SECONDS": 0.5}
    receiver.delay = 1.5
    webhook_subscription_create(integration=make_integration(), url=receiver.url)

    _publish(make_deal(), capture=django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"
    assert delivery.last_status_code is None
    assert delivery.last_error.startswith("TimeoutError")


def test_loopback_is_refused_unless_allow_listed(receiver, settings, django_capture_on_commit_callbacks):
    settings.FEEDHUB_WEBHOOKS = {**settings.FEEDHUB_WEBHOOKS, "ALLOWED_NETWORKS": []}
    webhook_subscription_create(integration=make_integration(), url=receiver.url)

    _publish(make_deal(), capture=django_capture_on_commit_callbacks)

    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_error == "Refusing to deliver to 127.0.0.1."
    assert delivery.status == "pending"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "fd00:ec2::254",
        "100.64.0.1",
        "224.0.0.1",
    ],
)
def test_internal_addresses_are_refused(address, settings):
    settings.FEEDHUB_WEBHOOKS = {**settings.FEEDHUB_WEBHOOKS, "ALLOWED_NETWORKS": []}

    with pytest.raises(UnsafeDestinationError):
        check_address(address)


def test_public_addresses_are_allowed():
    assert str(check_address("93.184.216.34")) == "93.184.216.34"
    assert str(check_address("2606:2800:220:1:248:1893:25c8:1946")) == "2606:2800:220:1:248:1893:25c8:1946"


def test_rotation_signs_with_both_secrets_during_the_grace_period(
    receiver, django_capture_on_commit_callbacks
):
    subscription = webhook_subscription_create(integration=make_integration(), url=receiver.url)
    old_secret = subscription.secret
    webhook_secret_rotate(subscription=subscription)

    _publish(make_deal(), capture=django_capture_on_commit_callbacks)

    request = receiver.requests[0]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old_secret).verify(request.body, request.headers)["type"] == "activity.created"
    assert Webhook(subscription.secret).verify(request.body, request.headers)["type"] == "activity.created"
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )
    _publish(make_deal(), capture=django_capture_on_commit_callbacks)
    assert len(receiver.requests[1].headers["webhook-signature"].split(" ")) == 1


def test_manual_redelivery_sends_the_same_message_again(receiver, django_capture_on_commit_callbacks):
    webhook_subscription_create(integration=make_integration(), url=receiver.url)
    _publish(make_deal(), capture=django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        webhook_redeliver(delivery=delivery)

    assert len(receiver.requests) == 2
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]
    assert json.loads(receiver.requests[0].body) == json.loads(receiver.requests[1].body)
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 2


def test_a_repeated_fanout_owes_nothing_twice(receiver, django_capture_on_commit_callbacks):
    from apps.activity.services import activity_fanout

    webhook_subscription_create(integration=make_integration(), url=receiver.url)
    activity = _publish(make_deal(), capture=django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        activity_fanout(activity_id=activity.pk)

    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.requests) == 1


def test_subscription_url_must_be_http_or_https():
    with pytest.raises(Exception, match="Webhook URLs must use https or http"):
        webhook_subscription_create(integration=make_integration(), url="ftp://example.com/hook")
