"""Pushes from fan-out (a Celery task or an in-process call) to websocket groups."""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from apps.activity.registry import DeliveredBatch

from .protocol import (
    ActivityEnvelope,
    NotificationEnvelope,
    UnreadEnvelope,
    notification_message,
    push_message,
    stream_group,
    user_group,
)

logger = logging.getLogger(__name__)

# Bounded concurrency: enough to pipeline Redis round-trips without a burst of thousands.
_CONCURRENCY = 64


async def _send_all(messages: list[tuple[str, dict]]) -> None:
    layer = get_channel_layer()
    semaphore = asyncio.Semaphore(_CONCURRENCY)

    async def send(group: str, message: dict) -> None:
        async with semaphore:
            await layer.group_send(group, message)

    await asyncio.gather(*(send(group, message) for group, message in messages))


def push_activity_batch(batch: DeliveredBatch) -> None:
    """Delivery sink: push the activity to each recipient and to its streams' record pages.

    The push is a hint: inbox rows are already committed, and a client that misses it
    catches up by resuming with its last cursor. So a channel-layer outage is logged, not raised.
    """
    activity_id = batch.activity.pk
    news = push_message(ActivityEnvelope(feed="news", cursor=activity_id, data=batch.data))
    messages = [(user_group(uid), news) for uid in batch.recipient_ids]
    messages += [
        (
            stream_group(s),
            push_message(ActivityEnvelope(feed="stream", stream=s, cursor=activity_id, data=batch.data)),
        )
        for s in batch.streams
    ]
    try:
        async_to_sync(_send_all)(messages)
    except (OSError, ConnectionError) as exc:
        logger.warning("push of activity %s failed; clients will resume: %s", activity_id, exc)


def push_to_users(envelopes: list[tuple[int, NotificationEnvelope | UnreadEnvelope]]) -> None:
    """Send notification envelopes to users' groups; like every push, a hint that may be lost."""
    messages = [(user_group(uid), notification_message(envelope)) for uid, envelope in envelopes]
    if not messages:
        return
    try:
        async_to_sync(_send_all)(messages)
    except (OSError, ConnectionError) as exc:
        logger.warning("notification push to %d users failed: %s", len(messages), exc)
