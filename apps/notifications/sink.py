"""The notifications delivery sink: fan-out hands each batch here, and it only enqueues."""

from __future__ import annotations

from django.conf import settings
from kombu.exceptions import OperationalError as BrokerError

from apps.activity.registry import DeliveredBatch


def enqueue_notifications(batch: DeliveredBatch) -> None:
    """Queue notification work for a fanned-out activity, in chunks of recipients.

    Runs inside the fan-out task after the inbox rows commit (followers of a merged object
    stream included: see `notify_stream_followers_page`); the notification work itself
    runs on the `notifications` queue so a slow email or a big aggregation never delays feeds.
    """
    from .tasks import notify_activity_task, notify_stream_followers_task

    if batch.late:
        # Whoever delivers an activity late (a mention added by an edit) tells those people itself.
        return
    ids = [uid for uid in batch.recipient_ids if uid != batch.activity.actor_id]
    chunk = settings.FEEDHUB["NOTIFY_CHUNK_SIZE"]
    try:
        for start in range(0, len(ids), chunk):
            notify_activity_task.delay(batch.activity.pk, ids[start : start + chunk])
        # Only followers of the activity's own object are told it changed (see
        # `reasons_for_activity`); when that stream is merged they got no inbox rows, so
        # they are paged from the follow index instead.
        if batch.activity.object_stream in batch.merged_streams:
            notify_stream_followers_task.delay(batch.activity.pk, batch.activity.object_stream)
    except BrokerError as exc:
        # As an OSError it makes the fan-out task retry; every step of a re-run is idempotent.
        raise ConnectionError(f"notifications for activity {batch.activity.pk} not queued") from exc
