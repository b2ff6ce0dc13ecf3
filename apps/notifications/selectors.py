"""Notification reads: the inbox page, the unread counter, preferences."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from apps.accounts.models import User
from apps.activity import registry
from apps.activity.selectors import clamp_limit

from .models import (
    Notification,
    NotificationMute,
    NotificationPreference,
    NotificationSettings,
    UnreadCounter,
)
from .reasons import DEFAULT_CHANNELS, DigestFrequency


@dataclass(frozen=True)
class NotificationPage:
    items: list[Notification]
    # The `before` of the next (older) page: the activity id of the page's last notification.
    next_cursor: int | None


def _with_relations(qs: QuerySet[Notification]) -> QuerySet[Notification]:
    return qs.select_related("activity__actor", "actor")


def notification_list(
    *, user: User, before: int | None = None, limit: int | None = None, unread_only: bool = False
) -> NotificationPage:
    """The user's notifications, most recently active first, keyset-paginated on the latest activity id.

    Each person has at most one notification per activity, so the activity id is a unique cursor.
    Notifications about things the user can no longer see are left out of the page.
    """
    limit = clamp_limit(limit)
    qs = Notification.objects.filter(recipient=user)
    if unread_only:
        qs = qs.filter(unread=True)
    if before is not None:
        qs = qs.filter(activity_id__lt=before)
    rows = list(_with_relations(qs).order_by("-activity_id")[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = rows[-1].activity_id if has_more and rows else None
    visible = {a.pk for a in registry.visible_activities(user, [n.activity for n in rows])}
    return NotificationPage(items=[n for n in rows if n.activity_id in visible], next_cursor=next_cursor)


def notifications_for_activity(*, activity_id: int, recipient_ids: Collection[int]) -> list[Notification]:
    """The notifications an activity produced or updated for these people (for pushes)."""
    return list(
        _with_relations(
            Notification.objects.filter(activity_id=activity_id, recipient_id__in=list(recipient_ids))
        )
    )


def notification_get(*, user: User, pk: int) -> Notification:
    """One of the user's own notifications, or 404 (another person's looks the same as none)."""
    notification = Notification.objects.filter(pk=pk, recipient=user).first()
    if notification is None:
        raise Http404
    return notification


def unread_count(*, user_id: int) -> int:
    """The counter row; never a COUNT over notifications."""
    return UnreadCounter.objects.filter(user_id=user_id).values_list("unread", flat=True).first() or 0


def unread_counts(*, user_ids: Collection[int]) -> dict[int, int]:
    counts = dict(UnreadCounter.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "unread"))
    return {uid: counts.get(uid, 0) for uid in user_ids}


@dataclass(frozen=True)
class Preferences:
    channels: dict[str, str]
    muted_streams: list[str]
    digest_frequency: str
    quiet_start: str | None
    quiet_end: str | None
    timezone: str


def preferences_get(*, user: User) -> Preferences:
    """Everything a person chose, with defaults filled in for what they did not."""
    channels = dict(DEFAULT_CHANNELS)
    channels.update(NotificationPreference.objects.filter(user=user).values_list("reason", "channel"))
    row = NotificationSettings.objects.filter(user=user).first()
    return Preferences(
        channels={str(k): str(v) for k, v in channels.items()},
        muted_streams=list(
            NotificationMute.objects.filter(user=user).order_by("stream").values_list("stream", flat=True)
        ),
        digest_frequency=row.digest_frequency if row else DigestFrequency.DAILY,
        quiet_start=row.quiet_start.strftime("%H:%M") if row and row.quiet_start else None,
        quiet_end=row.quiet_end.strftime("%H:%M") if row and row.quiet_end else None,
        timezone=user.timezone,
    )
