"""Activity reads: feeds with keyset pagination, followers, resume after a disconnect."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from apps.accounts.models import User

from . import registry
from .models import Activity, ActivityStream, Follow, InboxEntry


@dataclass(frozen=True)
class FeedPage:
    items: list[Activity]
    # Pass as `before` to get the next (older) page; None at the end of the feed.
    next_cursor: int | None


def clamp_limit(limit: int | None) -> int:
    cfg = settings.FEEDHUB
    if limit is None:
        return cfg["FEED_PAGE_SIZE"]
    return max(1, min(limit, cfg["FEED_MAX_PAGE_SIZE"]))


def _page(activities: list[Activity], limit: int, viewer: User) -> FeedPage:
    has_more = len(activities) > limit
    activities = activities[:limit]
    next_cursor = activities[-1].pk if has_more and activities else None
    return FeedPage(items=registry.visible_activities(viewer, activities), next_cursor=next_cursor)


def _activities_by_id(index_rows: QuerySet, limit: int) -> list[Activity]:
    """The newest `limit + 1` activities named by `index_rows` (inbox or stream rows), in one query.

    The page's ids are picked in a LIMITed subquery so PostgreSQL cannot flatten it into a
    merge join: as a join, with a cursor, it walked the activity primary key backwards from
    the newest activity down to the cursor (and the inbox by its global `activity_id` index),
    so a page at depth 10,000 cost 40x page 1 (docs/architecture.md, "Deep pages").
    """
    page_ids = index_rows.order_by("-activity_id").values("activity_id")[: limit + 1]
    return list(Activity.objects.filter(pk__in=page_ids).select_related("actor").order_by("-pk"))


def news_feed(*, user: User, before: int | None = None, limit: int | None = None) -> FeedPage:
    """The user's news feed, newest first: one range scan on the inbox, one query in all."""
    limit = clamp_limit(limit)
    qs = InboxEntry.objects.filter(user=user)
    if before is not None:
        qs = qs.filter(activity_id__lt=before)
    return _page(_activities_by_id(qs, limit), limit, user)


def stream_feed(
    *, stream: str, viewer: User, before: int | None = None, limit: int | None = None
) -> FeedPage:
    """Everything written to one stream (a record's, a person's), newest first."""
    limit = clamp_limit(limit)
    qs = ActivityStream.objects.filter(stream=stream)
    if before is not None:
        qs = qs.filter(activity_id__lt=before)
    return _page(_activities_by_id(qs, limit), limit, viewer)


def inbox_since(*, user: User, cursor: int, limit: int) -> list[Activity]:
    """What reached the user's inbox after the item with activity id `cursor`, in arrival order.

    Arrival order (the inbox row id) rather than activity id, so an older activity whose
    fan-out finished late is still replayed to a client that saw a newer one.
    """
    qs = InboxEntry.objects.filter(user=user)
    anchor = qs.filter(activity_id=cursor).values_list("pk", flat=True).first()
    qs = qs.filter(pk__gt=anchor) if anchor is not None else qs.filter(activity_id__gt=cursor)
    entries = list(qs.select_related("activity__actor").order_by("pk")[:limit])
    return registry.visible_activities(user, [e.activity for e in entries])


def latest_inbox_cursor(*, user: User) -> int | None:
    return (
        InboxEntry.objects.filter(user=user)
        .order_by("-activity_id")
        .values_list("activity_id", flat=True)
        .first()
    )


def follow_get(*, user: User, stream: str) -> Follow | None:
    return Follow.objects.filter(user=user, stream=stream).first()


def followers_list(*, stream: str, limit: int = 50) -> list[User]:
    """Who follows a stream, most recent first."""
    return [
        f.user
        for f in Follow.objects.filter(stream=stream, user__is_active=True)
        .select_related("user")
        .order_by("-created_at")[:limit]
    ]


def follower_count(*, stream: str) -> int:
    return Follow.objects.filter(stream=stream, user__is_active=True).count()
