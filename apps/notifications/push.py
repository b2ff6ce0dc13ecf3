"""Live notification pushes: the notification itself and the unread count, to `user.<id>`."""

from __future__ import annotations

from collections.abc import Collection

from apps.realtime.protocol import NotificationEnvelope, UnreadEnvelope
from apps.realtime.push import push_to_users

from . import selectors
from .presenters import notification_to_dict


def push_notifications(*, activity_id: int, recipient_ids: Collection[int]) -> int:
    """Push each recipient the notification `activity_id` produced or updated, with their unread count."""
    notifications = selectors.notifications_for_activity(activity_id=activity_id, recipient_ids=recipient_ids)
    counts = selectors.unread_counts(user_ids=[n.recipient_id for n in notifications])
    push_to_users(
        [
            (
                n.recipient_id,
                NotificationEnvelope(unread=counts[n.recipient_id], data=notification_to_dict(n)),
            )
            for n in notifications
        ]
    )
    return len(notifications)


def push_unread_count(*, user_id: int) -> None:
    """Tell the user's open connections the unread count (after a mark-read, from any device)."""
    push_to_users([(user_id, UnreadEnvelope(count=selectors.unread_count(user_id=user_id)))])
