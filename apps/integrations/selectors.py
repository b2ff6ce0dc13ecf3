"""Integration reads."""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from apps.accounts.services import token_digest

from .models import ApiKey, IntegrationApp, WebhookAttempt, WebhookDelivery, WebhookSubscription
from .services.keys import KEY_PREFIX

# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_key_for_secret(*, raw: str) -> ApiKey | None:
    """The live key (of an active integration with an active owner) a raw secret belongs to, or None.

    Touches last_used_at at most once a minute.
    """
    if not raw.startswith(KEY_PREFIX):
        return None
    digest = token_digest(raw)
    key = (
        ApiKey.objects.select_related("integration", "integration__owner")
        .filter(
            digest=digest,
            revoked_at__isnull=True,
            integration__is_active=True,
            integration__owner__is_active=True,
        )
        .first()
    )
    # The lookup is by digest; the compare guards against any collation surprises.
    if key is None or not hmac.compare_digest(key.digest, digest):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def webhook_subscription_list(*, integration: IntegrationApp) -> QuerySet[WebhookSubscription]:
    """The integration's webhook subscriptions, newest first."""
    return WebhookSubscription.objects.filter(integration=integration).order_by("-pk")


def access_webhook(*, integration: IntegrationApp, pk: int) -> WebhookSubscription:
    """One of the integration's subscriptions, or 404 (another integration's is not found either)."""
    subscription = webhook_subscription_list(integration=integration).filter(pk=pk).first()
    if subscription is None:
        raise Http404
    return subscription


def access_webhook_delivery(*, integration: IntegrationApp, pk: int) -> WebhookDelivery:
    """One delivery to one of the integration's subscriptions, or 404."""
    delivery = WebhookDelivery.objects.filter(pk=pk, subscription__integration=integration).first()
    if delivery is None:
        raise Http404
    return delivery


def webhook_delivery_list(
    *, subscription: WebhookSubscription, before: int | None = None, limit: int = 20
) -> list[WebhookDelivery]:
    """A page of the delivery log, newest first, with each delivery's attempts (two queries)."""
    qs = WebhookDelivery.objects.filter(subscription=subscription).order_by("-pk")
    if before is not None:
        qs = qs.filter(pk__lt=before)
    return list(qs.prefetch_related(Prefetch("attempt_log", WebhookAttempt.objects.order_by("pk")))[:limit])
