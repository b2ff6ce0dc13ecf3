"""Activity reads: feeds with keyset pagination, followers, resume after a disconnect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404

from apps.accounts.models import User

from . import registry
from .models import Activity, ActivityStream, Follow, InboxEntry


@dataclass(frozen=True)
class FeedFilter:
    """Optional narrowing of any feed: by verb, actor, object kind and publication window."""

    verb: str | None = None
    actor_id: int | None = None
    object_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, qs: QuerySet, path: str = "") -> QuerySet:
        """Filter `qs`, whose activity is reached through `path` ("activity__" or "")."""
        conditions = {
            "verb": self.verb,
            "actor_id": self.actor_id,
            "object_type": self.object_type,
            "published__gte": self.since,
            "published__lt": self.until,
        }
        return qs.filter(**{path + key: value for key, value in conditions.items() if value is not None})


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


def page_of(activities: list[Activity], limit: int, viewer: User) -> FeedPage:
    """Cut a `limit + 1` fetch to a page with its next cursor, keeping what the viewer may see."""
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


def news_feed(
    *, user: User, before: int | None = None, limit: int | None = None, filters: FeedFilter | None = None
) -> FeedPage:
    """The user's news feed, newest first: one range scan on the inbox, one query in all."""
    limit = clamp_limit(limit)
    qs = InboxEntry.objects.filter(user=user)
    if before is not None:
        qs = qs.filter(activity_id__lt=before)
    if filters is not None:
        qs = filters.apply(qs, "activity__")
    return page_of(_activities_by_id(qs, limit), limit, user)


def stream_feed(
    *,
    stream: str,
    viewer: User,
    before: int | None = None,
    limit: int | None = None,
    filters: FeedFilter | None = None,
) -> FeedPage:
    """Everything written to one stream (a record's, a person's), newest first."""
    limit = clamp_limit(limit)
    qs = ActivityStream.objects.filter(stream=stream)
    if before is not None:
        qs = qs.filter(activity_id__lt=before)
    if filters is not None:
        qs = filters.apply(qs, "activity__")
    return page_of(_activities_by_id(qs, limit), limit, viewer)


def inbox_anchor(*, user: User, cursor: int | None) -> int:
    """The arrival position (inbox row id) of the client's last-seen activity `cursor`.

    Without a cursor, or for an activity not in the inbox, it is the position just before the
    first activity newer than `cursor` (or the newest position, when `cursor` is None).
    """
    qs = InboxEntry.objects.filter(user=user)
    if cursor is None:
        return qs.order_by("-pk").values_list("pk", flat=True).first() or 0
    anchor = qs.filter(activity_id=cursor).values_list("pk", flat=True).first()
    if anchor is not None:
        return anchor
    first_newer = qs.filter(activity_id__gt=cursor).order_by("pk").values_list("pk", flat=True).first()
    return (
        first_newer - 1
        if first_newer is not None
        else (qs.order_by("-pk").values_list("pk", flat=True).first() or 0)
    )


@dataclass(frozen=True)
class InboxBatch:
    activities: list[Activity]
    # Arrival position of the last entry read (visible or not): where the next read starts.
    position: int
    more: bool


def inbox_after(*, user: User, position: int, limit: int) -> InboxBatch:
    """Inbox items that arrived after `position`, in arrival order.

    Arrival order (the inbox row id) rather than activity id, so an older activity whose
    fan-out finished late is still delivered to a client that saw a newer one.
    """
    entries = list(
        InboxEntry.objects.filter(user=user, pk__gt=position)
        .select_related("activity__actor")
        .order_by("pk")[: limit + 1]
    )
    more = len(entries) > limit
    entries = entries[:limit]
    return InboxBatch(
        activities=registry.visible_activities(user, [e.activity for e in entries]),
        position=entries[-1].pk if entries else position,
        more=more,
    )


def inbox_cursor_at(*, user: User, position: int) -> int | None:
    """The activity id (the client-facing cursor) of the inbox entry at `position`."""
    return InboxEntry.objects.filter(user=user, pk=position).values_list("activity_id", flat=True).first()


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


def company_feed(
    *, viewer: User, before: int | None = None, limit: int | None = None, filters: FeedFilter | None = None
) -> FeedPage:
    """Every activity in the company the viewer may see, newest first (fan-out on read).

    Deliberately read-time: copying every activity into every inbox is what the news feed's
    follow model exists to avoid. One range scan on the primary key plus the visibility checks.
    """
    limit = clamp_limit(limit)
    qs = Activity.objects.all()
    if before is not None:
        qs = qs.filter(pk__lt=before)
    if filters is not None:
        qs = filters.apply(qs)
    return page_of(list(qs.select_related("actor").order_by("-pk")[: limit + 1]), limit, viewer)


def access_activity(*, viewer: User, activity_id: int) -> Activity:
    """Fetch an activity the viewer may see (its object and target), or raise 404."""
    activity = Activity.objects.select_related("actor").filter(pk=activity_id).first()
    if activity is None or not registry.visible_activities(viewer, [activity]):
        raise Http404
    return activity


def stream_visible(*, viewer: User, stream: str) -> bool:
    """Is `stream` a known kind whose object exists and the viewer may see?"""
    prefix, object_id = registry.split_stream(stream)
    kind = registry.kind_for(prefix)
    if kind is None or not object_id:
        return False
    return object_id in kind.visible_object_ids(viewer, [object_id])
