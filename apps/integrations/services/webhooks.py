"""Outbound webhooks: subscriptions, Standard Webhooks signing, at-least-once delivery with backoff."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import secrets
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.activity import registry
from apps.activity.deadletters import dead_letter_record
from apps.activity.models import Activity

from ..models import IntegrationApp, WebhookAttempt, WebhookDelivery, WebhookSubscription
from ..presenters import activity_to_as2
from ..transport import UnsafeDestinationError, check_url, post_json

# What a dead-lettered delivery replays with (see `webhook_redeliver_failed`).
REPLAY_TASK = "apps.integrations.tasks.redeliver_failed_webhook_task"
SECRET_PREFIX = "whsec_"  # noqa: S105 (a public prefix, not a secret)
EVENT_TYPE = "activity.created"


def webhook_secret_generate() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def webhook_sign(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the decoded `whsec_` key (Standard Webhooks)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def _signing_secrets(subscription: WebhookSubscription, now: datetime) -> list[str]:
    valid = [subscription.secret]
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret and expires is not None and expires > now:
        valid.append(subscription.previous_secret)
    return valid


def _clean_list(name: str, values: Iterable[str]) -> list[str]:
    items = list(dict.fromkeys(values))
    if any(not isinstance(v, str) or not v or len(v) > 100 for v in items):
        raise ValidationError({name: ["Each entry must be a non-empty string of at most 100 characters."]})
    return items


def webhook_subscription_create(
    *,
    integration: IntegrationApp,
    url: str,
    record_types: Iterable[str] = (),
    verbs: Iterable[str] = (),
    streams: Iterable[str] = (),
) -> WebhookSubscription:
    """Subscribe `url` to the integration's visible activities, optionally filtered (empty = all)."""
    try:
        check_url(url)
    except UnsafeDestinationError as exc:
        raise ValidationError({"url": [str(exc)]}) from exc
    subscription = WebhookSubscription(
        integration=integration,
        url=url,
        secret=webhook_secret_generate(),
        record_types=_clean_list("record_types", record_types),
        verbs=_clean_list("verbs", verbs),
        streams=_clean_list("streams", streams),
    )
    subscription.full_clean()
    subscription.save()
    return subscription


def webhook_secret_rotate(*, subscription: WebhookSubscription) -> WebhookSubscription:
    """Issue a new secret; the old one still signs (a second signature) for the grace period."""
    now = timezone.now()
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_expires_at = now + timedelta(
        hours=settings.FEEDHUB_WEBHOOKS["SECRET_ROTATION_GRACE_HOURS"]
    )
    subscription.secret = webhook_secret_generate()
    subscription.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return subscription


def webhook_subscription_delete(*, subscription: WebhookSubscription) -> None:
    """Unsubscribe: the subscription goes, and its deliveries (pending ones included) with it."""
    subscription.delete()


def _matches(subscription: WebhookSubscription, activity: Activity, streams: list[str]) -> bool:
    if subscription.verbs and activity.verb not in subscription.verbs:
        return False
    if subscription.record_types and not {activity.object_type, activity.target_type} & set(
        subscription.record_types
    ):
        return False
    return not subscription.streams or bool(set(subscription.streams) & set(streams))


def webhook_deliveries_enqueue(batch: registry.DeliveredBatch) -> list[int]:
    """Delivery sink: owe the activity to every matching subscription whose integration owner may see it.

    Idempotent: one delivery per (subscription, activity), so a repeated fan-out owes nothing twice.
    """
    from ..tasks import deliver_webhook_task

    if batch.late:
        # Subscribers hear of an activity once, when it is fanned out, not per later recipient.
        return []
    activity = batch.activity
    subscriptions = [
        s
        for s in WebhookSubscription.objects.select_related("integration").filter(
            is_active=True, integration__is_active=True
        )
        if _matches(s, activity, batch.streams)
    ]
    if not subscriptions:
        return []
    owners = {s.integration.owner_id for s in subscriptions}
    allowed = registry.users_who_can_see(activity, owners)
    subscriptions = [s for s in subscriptions if s.integration.owner_id in allowed]
    now = timezone.now()
    rows = [
        WebhookDelivery(
            subscription=s,
            activity_id=activity.pk,
            webhook_id=f"msg_{uuid.uuid4().hex}",
            payload={
                "type": EVENT_TYPE,
                "timestamp": now.isoformat(),
                "data": activity_to_as2(activity, s.integration),
            },
            next_attempt_at=now,
        )
        for s in subscriptions
    ]
    with transaction.atomic():
        WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
        ids = list(
            WebhookDelivery.objects.filter(
                activity_id=activity.pk, subscription__in=subscriptions, status=WebhookDelivery.Status.PENDING
            ).values_list("pk", flat=True)
        )
        for delivery_id in ids:
            deliver_webhook_task.delay_on_commit(delivery_id)
    return ids


def _backoff(attempts: int) -> timedelta | None:
    """Delay before the next attempt after `attempts` failures, ±20 % jitter; None when out of retries."""
    schedule = settings.FEEDHUB_WEBHOOKS["RETRY_SCHEDULE_SECONDS"]
    if attempts > len(schedule):
        return None
    base = schedule[attempts - 1]
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


def webhook_deliver(*, delivery_id: int) -> str:
    """Make one attempt at a due delivery and record it; returns the delivery's status afterwards.

    Safe to call twice: the attempt is claimed by a conditional update, so only one caller sends.
    A 2xx delivers; a 410 disables the subscription; anything else is retried on the backoff
    schedule (about 3 days) with the same `webhook-id`, then marked failed.
    """
    now = timezone.now()
    lease = now + timedelta(seconds=settings.FEEDHUB_WEBHOOKS["TIMEOUT_SECONDS"] * 3)
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=lease)
    if not claimed:
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("subscription__integration").get(pk=delivery_id)
    subscription = delivery.subscription
    activity = Activity.objects.filter(pk=delivery.activity_id).first()
    # Access is checked again at each attempt: an owner who lost sight of the record since the
    # delivery was owed (or between retries) is sent nothing about it.
    if (
        not subscription.is_active
        or activity is None
        or not registry.users_who_can_see(activity, [subscription.integration.owner_id])
    ):
        delivery.status = WebhookDelivery.Status.CANCELLED
        delivery.save(update_fields=["status"])
        return delivery.status
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    timestamp = int(time.time())
    signatures = [
        webhook_sign(secret=s, msg_id=delivery.webhook_id, timestamp=timestamp, body=body)
        for s in _signing_secrets(subscription, now)
    ]
    headers = {
        "webhook-id": delivery.webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
        "User-Agent": "feedhub-webhooks/1",
    }
    result = post_json(subscription.url, body, headers)
    delivery.attempts += 1
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error
    code = result.status_code or 0
    if 200 <= code < 300:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.next_attempt_at = None
    elif code == 410:
        delivery.status = WebhookDelivery.Status.CANCELLED
        delivery.next_attempt_at = None
        WebhookSubscription.objects.filter(pk=subscription.pk).update(
            is_active=False, disabled_reason="The endpoint answered 410 Gone."
        )
    else:
        delay = _backoff(delivery.attempts)
        if delay is None:
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.next_attempt_at = None
            dead_letter_record(
                key=f"webhook-delivery:{delivery.pk}",
                task=REPLAY_TASK,
                args=[delivery.pk],
                error=f"gave up after {delivery.attempts} attempts; last: "
                f"{result.status_code or ''} {result.error}".strip(),
            )
        else:
            delivery.next_attempt_at = timezone.now() + delay
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            status_code=result.status_code,
            error=result.error,
            duration_ms=result.duration_ms,
            response_excerpt=result.excerpt,
        )
        delivery.save(
            update_fields=["attempts", "last_status_code", "last_error", "status", "next_attempt_at"]
        )
    return delivery.status


def webhook_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now, with the same `webhook-id`, and a fresh retry schedule."""
    from ..tasks import deliver_webhook_task

    with transaction.atomic():
        delivery.status = WebhookDelivery.Status.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = timezone.now()
        delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
        deliver_webhook_task.delay_on_commit(delivery.pk)
    return delivery


def webhook_redeliver_failed(*, delivery_id: int) -> bool:
    """Replay of a dead-lettered delivery: a fresh retry schedule, if it is still failed.

    Idempotent: only a delivery in `failed` is reset (a conditional update), so a replay of one
    that was meanwhile redelivered by hand, or a second replay, does nothing.
    """
    from ..tasks import deliver_webhook_task

    with transaction.atomic():
        reset = WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.FAILED).update(
            status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        if reset:
            deliver_webhook_task.delay_on_commit(delivery_id)
    return bool(reset)


def webhook_due_ids(*, limit: int = 1000) -> list[int]:
    """Pending deliveries whose next attempt is due, oldest first (the retry sweeper's work list)."""
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
