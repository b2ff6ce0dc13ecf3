"""Notification tasks: thin, idempotent, acknowledged late. Emails go to the `email` queue."""

from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from apps.activity.deadletters import DeadLetterTask

from . import emails, push, services

_RELIABLE = {
    # Out of retries, the work is kept as a dead letter for `manage.py deadletters replay`.
    "base": DeadLetterTask,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (DatabaseError, OSError),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 8,
}


@shared_task(queue="notifications", **_RELIABLE)
def notify_activity_task(activity_id: int, recipient_ids: list[int]) -> int:
    """Create or aggregate the notifications one activity gives a chunk of its recipients."""
    result = services.notify_for_activity(activity_id=activity_id, recipient_ids=recipient_ids)
    return len(result.recipients)


@shared_task(queue="notifications", **_RELIABLE)
def notify_stream_followers_task(activity_id: int, stream: str, after_user_id: int = 0) -> int | None:
    """Notify a merged stream's followers a page at a time; each page queues the next."""
    after = services.notify_stream_followers_page(
        activity_id=activity_id,
        stream=stream,
        after_user_id=after_user_id,
        limit=settings.FEEDHUB["NOTIFY_CHUNK_SIZE"],
    )
    if after is not None:
        try:
            notify_stream_followers_task.delay(activity_id, stream, after)
        except BrokerError as exc:
            # Retried from this page: notifying it again changes nothing.
            raise ConnectionError(f"next page of {stream} followers for activity {activity_id}") from exc
    return after


@shared_task(queue="notifications", acks_late=True)
def push_notifications_task(activity_id: int, recipient_ids: list[int]) -> int:
    """Push notifications and unread counts live; a hint, so not retried."""
    return push.push_notifications(activity_id=activity_id, recipient_ids=recipient_ids)


@shared_task(queue="notifications", acks_late=True)
def push_unread_count_task(user_id: int) -> None:
    push.push_unread_count(user_id=user_id)


@shared_task(queue="email", **_RELIABLE)
def send_notification_email_task(user_id: int, activity_id: int) -> bool:
    """Send one instant notification email, if still wanted and still visible."""
    return emails.send_instant_email(user_id=user_id, activity_id=activity_id)


@shared_task(queue="email", **_RELIABLE)
def send_digest_task(user_id: int) -> int:
    return emails.send_digest(user_id=user_id)


@shared_task(queue="email", acks_late=True)
def send_digests_task(at: str | None = None) -> int:
    """Beat entry point (hourly): queue a digest for each person due now (or at `at`, ISO 8601)."""
    now = datetime.fromisoformat(at) if at else timezone.now()
    user_ids = emails.digest_recipients(now=now)
    for user_id in user_ids:
        send_digest_task.delay(user_id)
    return len(user_ids)
