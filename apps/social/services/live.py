"""Live state pushed to open pages (like counts here; poll tallies in `polls`): hints, not records."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.db import transaction

from apps.activity.models import Activity, ActivityStream

from ..models import ActivityCounts, Comment

logger = logging.getLogger(__name__)


def enqueue_live_push(task: Any, *args: int) -> None:
    """Enqueue a live push task. Pages can always read the state again, so a broker outage must
    not fail a write that is committed: it is logged and the push dropped."""
    from kombu.exceptions import OperationalError as BrokerError

    try:
        task.delay(*args)
    except (BrokerError, OSError) as exc:
        logger.warning("live push %s%s dropped: %s", task.name, args, exc)


def likes_changed(*, activity_id: int, comment_id: int | None = None) -> None:
    """After the current transaction commits, push the new like count of an activity (or of one
    of the comments on it) to the pages watching it. Call inside the transaction that changed it."""
    from ..tasks import push_likes_task

    args = (activity_id,) if comment_id is None else (activity_id, comment_id)
    transaction.on_commit(partial(enqueue_live_push, push_likes_task, *args))


def likes_push(*, activity_id: int, comment_id: int | None = None) -> None:
    """Push the current like count of an activity, or of comment `comment_id` on it, to the
    connections subscribed to any stream the activity is on (its object's, its target's, ...).

    The count is read now, not carried from the like, so pushes that overtake each other still
    end on the latest count. Each connection gets it only if its user may see the activity.
    """
    from apps.realtime.protocol import LikesEnvelope
    from apps.realtime.push import push_to_streams

    activity = Activity.objects.filter(pk=activity_id).first()
    if activity is None:
        return
    if comment_id is None:
        count = ActivityCounts.objects.filter(pk=activity_id).values_list("like_count", flat=True).first()
    else:
        count = (
            Comment.objects.filter(pk=comment_id, activity_id=activity_id)
            .values_list("like_count", flat=True)
            .first()
        )
        if count is None:
            return
    streams = [
        activity.object_stream,
        *ActivityStream.objects.filter(activity=activity).values_list("stream", flat=True),
    ]
    about: dict[str, Any] = {
        "object": {"type": activity.object_type, "id": activity.object_id},
        "target": {"type": activity.target_type, "id": activity.target_id},
    }
    envelope = LikesEnvelope(
        stream=activity.object_stream, activity=activity_id, count=count or 0, comment=comment_id
    )
    push_to_streams(streams, envelope, about=about)
