"""Integration reads."""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.db.models import Count, F, Max, Prefetch, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone

from apps.accounts.models import User
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


def integration_list(*, viewer: User) -> QuerySet[IntegrationApp]:
    """The integrations the viewer manages (staff: all), by name, in one query.

    Each carries `live_key_count`, `revoked_key_count` and `last_used_at` (its keys' latest use).
    """
    qs = (
        IntegrationApp.objects.select_related("owner")
        .annotate(
            live_key_count=Count("keys", filter=Q(keys__revoked_at__isnull=True)),
            revoked_key_count=Count("keys", filter=Q(keys__revoked_at__isnull=False)),
            last_used_at=Max("keys__last_used_at"),
        )
        .order_by("name")
    )
    return qs if viewer.is_staff else qs.filter(owner=viewer)


def integrations_manageable(*, viewer: User) -> bool:
    """Whether the viewer may open the integrations pages: staff, or the owner of one."""
    return viewer.is_staff or IntegrationApp.objects.filter(owner=viewer).exists()


def access_integration(*, viewer: User, pk: int) -> IntegrationApp:
    """An integration its owner or staff manage, or 404 (someone else's is not found either)."""
    integration = integration_list(viewer=viewer).filter(pk=pk).first()
    if integration is None:
        raise Http404
    return integration


def api_key_list(*, integration: IntegrationApp) -> QuerySet[ApiKey]:
    """The integration's API keys, revoked ones included, newest first."""
    return ApiKey.objects.filter(integration=integration).order_by("-pk")


def access_api_key(*, integration: IntegrationApp, pk: int) -> ApiKey:
    """One of the integration's API keys, or 404."""
    key = api_key_list(integration=integration).filter(pk=pk).first()
    if key is None:
        raise Http404
    return key


def webhook_recent_deliveries(
    *, subscriptions: list[WebhookSubscription], limit: int = 5
) -> dict[int, list[WebhookDelivery]]:
    """The newest `limit` deliveries of each subscription, by subscription id, in one query."""
    rows = (
        WebhookDelivery.objects.filter(subscription__in=subscriptions)
        .defer("payload")
        .annotate(rank=Window(RowNumber(), partition_by=[F("subscription_id")], order_by=F("pk").desc()))
        .filter(rank__lte=limit)
        .order_by("subscription_id", "-pk")
    )
    recent: dict[int, list[WebhookDelivery]] = {s.pk: [] for s in subscriptions}
    for delivery in rows:
        recent[delivery.subscription_id].append(delivery)
    return recent
