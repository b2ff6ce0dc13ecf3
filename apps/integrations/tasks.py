"""Integration tasks (routed to the `webhooks` queue): thin and idempotent."""

from celery import shared_task
from django.conf import settings

from .services.events import idempotency_records_purge
from .services.webhooks import webhook_deliver, webhook_due_ids, webhook_redeliver_failed


@shared_task(acks_late=True)
def purge_idempotency_keys_task() -> int:
    """Forget idempotency keys past their retention (at least 24 h)."""
    return idempotency_records_purge(older_than_hours=settings.FEEDHUB_INTEGRATIONS["IDEMPOTENCY_TTL_HOURS"])


@shared_task(acks_late=True, reject_on_worker_lost=True)
def deliver_webhook_task(delivery_id: int) -> str:
    """One attempt at one webhook delivery; failures are rescheduled in the row, not by Celery retry."""
    return webhook_deliver(delivery_id=delivery_id)


@shared_task(acks_late=True)
def retry_due_webhooks_task() -> int:
    """Enqueue every delivery whose next attempt is due (retries after backoff, and lost tasks)."""
    ids = webhook_due_ids()
    for delivery_id in ids:
        deliver_webhook_task.delay(delivery_id)
    return len(ids)


@shared_task(acks_late=True)
def redeliver_failed_webhook_task(delivery_id: int) -> bool:
    """Replay of a dead-lettered delivery (`manage.py deadletters replay`)."""
    return webhook_redeliver_failed(delivery_id=delivery_id)
