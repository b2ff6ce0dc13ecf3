"""Integration tasks (routed to the `webhooks` queue): thin and idempotent."""

from celery import shared_task
from django.conf import settings

from .services.events import idempotency_records_purge


@shared_task(acks_late=True)
def purge_idempotency_keys_task() -> int:
    """Forget idempotency keys past their retention (at least 24 h)."""
    return idempotency_records_purge(older_than_hours=settings.FEEDHUB_INTEGRATIONS["IDEMPOTENCY_TTL_HOURS"])
