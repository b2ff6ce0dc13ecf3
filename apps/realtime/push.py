"""Pushes from fan-out (a Celery task or an in-process call) to websocket groups."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from apps.activity.registry import DeliveredBatch

from .protocol import (
    ACCESS_RECHECK_MESSAGE_TYPE,
    SESSION_END_MESSAGE_TYPE,
    ActivityEnvelope,
    LikesEnvelope,
    NotificationEnvelope,
    PollEnvelope,
    UnreadEnvelope,
    notification_message,
    push_message,
    stream_group,
    stream_message,
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


def push_to_streams(
    streams: list[str], envelope: PollEnvelope | LikesEnvelope, *, about: dict[str, Any] | None = None
) -> None:
    """Send an envelope to the connections subscribed to these streams (their visibility was
    checked when they subscribed, and is checked again against `about` when given: see
    `stream_message`); a hint like every push, so a failure is logged."""
    message = stream_message(envelope, about=about)
    messages = [(stream_group(s), message) for s in dict.fromkeys(streams)]
    try:
        async_to_sync(_send_all)(messages)
    except (OSError, ConnectionError) as exc:
        logger.warning("stream push to %s failed: %s", streams, exc)


def push_access_recheck(streams: list[str], user_ids: list[int]) -> None:
    """Access listener: sockets viewing these streams, or of these people, re-check what they may see."""
    message = {"type": ACCESS_RECHECK_MESSAGE_TYPE}
    messages = [(stream_group(s), message) for s in streams] + [(user_group(u), message) for u in user_ids]
    if not messages:
        return
    try:
        async_to_sync(_send_all)(messages)
    except (OSError, ConnectionError) as exc:
        # Unlike a lost item hint, a lost re-check would leave a socket subscribed: callers that
        # must be sure (tests, revocation) see the error in the log; the next push is checked anyway.
        logger.error("access re-check of %d groups failed: %s", len(messages), exc)


def push_session_end(user_id: int, *, session_key: str | None = None, reason: str = "signed_out") -> None:
    """Close the user's sockets: those of one session (logout), or all of them (deactivation)."""
    try:
        async_to_sync(_send_all)(
            [
                (
                    user_group(user_id),
                    {"type": SESSION_END_MESSAGE_TYPE, "session_key": session_key, "reason": reason},
                )
            ]
        )
    except (OSError, ConnectionError) as exc:
        logger.error("closing the sockets of user %s failed: %s", user_id, exc)
