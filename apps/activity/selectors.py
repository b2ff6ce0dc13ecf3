"""Activity reads: feeds with keyset pagination, followers, resume after a disconnect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404

from apps.accounts.models import User

from . import registry
from .models import Activity, ActivityStream, Follow, InboxEntry, MergedStream
from .verbs import Verb


@dataclass(frozen=True)
class FeedFilter:
    """Optional narrowing of any feed: by verb, actor, object kind and publication window."""

    verb: str | None = None
    actor_id: int | None = None
    object_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def _conditions(self) -> dict[str, object]:
        conditions = {
            "verb": self.verb,
            "actor_id": self.actor_id,
            "object_type": self.object_type,
            "published__gte": self.since,
            "published__lt": self.until,
        }
        return {key: value for key, value in conditions.items() if value is not None}

    def apply(self, qs: QuerySet, path: str = "") -> QuerySet:
        """Filter `qs`, whose activity is reached through `path` ("activity__" or "")."""
        return qs.filter(**{path + key: value for key, value in self._conditions().items()})

    def sql(self, alias: str) -> tuple[list[str], list[object]]:
        """The same conditions as SQL on the activity table aliased `alias`, for raw queries."""
        operators = {"gte": ">=", "lt": "<"}
        where, params = [], []
        for key, value in self._conditions().items():
            column, _, lookup = key.partition("__")
            where.append(f"{alias}.{column} {operators.get(lookup, '=')} %s")
            params.append(value)
        return where, params


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
    """The user's news feed, newest first: the inbox merged with any merged streams they follow.

    Without merged follows it is one range scan on the inbox. Each followed merged stream adds
    a range scan on that stream, in the same query (a UNION of LIMITed subqueries), so the page
    holds the same items in the same order as if the stream had been copied into the inbox.
    """
    limit = clamp_limit(limit)
    qs = InboxEntry.objects.filter(user=user)
    if before is not None:
        qs = qs.filter(activity_id__lt=before)
    if filters is not None:
        qs = filters.apply(qs, "activity__")
    if connection.vendor == "postgresql":
        return page_of(_inbox_and_merged(qs, user, before, limit, filters), limit, user)
    merged = merged_follows(user=user)
    if not merged:
        return page_of(_activities_by_id(qs, limit), limit, user)
    parts = [qs]
    for follow in merged:
        rows = _merged_stream_rows(follow, filters)
        parts.append(rows.filter(activity_id__lt=before) if before is not None else rows)
    return page_of(_activities_by_ids_union(parts, limit), limit, user)


# The newest rows of each merged stream the user follows, their verb filter applied: a LATERAL
# range scan per followed stream (owner-led `activity_stream_unique`), none when they follow none.
# The activity row is read only for a verb filter or feed filters: joined unconditionally, the
# planner walked the activity primary key backwards instead of the stream index.
_MERGED_ROWS_SQL = """
    SELECT l.activity_id FROM activity_follow f
    JOIN activity_mergedstream m ON m.stream = f.stream
    CROSS JOIN LATERAL (
        SELECT s.activity_id FROM activity_activitystream s {join}
        WHERE s.stream = f.stream AND s.activity_id > f.since_activity_id {where}
        ORDER BY s.activity_id DESC LIMIT %s
    ) l
    WHERE f.user_id = %s AND NOT f.muted
"""
_VERB_FILTER_SQL = (
    "(f.verbs = '[]'::jsonb OR f.verbs @> "
    "to_jsonb((SELECT v.verb FROM activity_activity v WHERE v.id = s.activity_id)))"
)
# The roll-up switch: with it off, skip activities whose object kind rolls up into the stream's
# kind (`client:deal`, from `registry.rollup_pairs`). The parameter is that list of pairs.
_ROLLUP_FILTER_SQL = (
    "(f.include_related OR NOT (split_part(f.stream, ':', 1) || ':' || "
    "(SELECT r.object_type FROM activity_activity r WHERE r.id = s.activity_id)) = ANY(%s::text[]))"
)


def _inbox_and_merged(
    inbox_rows: QuerySet, user: User, before: int | None, limit: int, filters: FeedFilter | None
) -> list[Activity]:
    """PostgreSQL: the inbox page and the merged streams' pages in one query, whatever the
    user follows (so a feed page costs the same queries with or without merged streams)."""
    inbox_sql, inbox_params = (
        inbox_rows.order_by("-activity_id").values("activity_id")[: limit + 1].query.sql_with_params()
    )
    where, params, join = [_VERB_FILTER_SQL, _ROLLUP_FILTER_SQL], [registry.rollup_pairs()], ""
    if before is not None:
        where.append("s.activity_id < %s")
        params.append(before)
    if filters is not None:
        filter_where, filter_params = filters.sql("a")
        join = "JOIN activity_activity a ON a.id = s.activity_id"
        where += filter_where
        params += filter_params
    merged_sql = _MERGED_ROWS_SQL.format(join=join, where="".join(f" AND {w}" for w in where))
    # `id = ANY(ARRAY(…))` makes the ids an InitPlan looked up by primary key: as `id IN (…)` the
    # planner merge-joined ~40 candidate ids against a backward walk of the whole primary key.
    # Only constant SQL and the ORM's own compiled SQL are joined; every value is a parameter.
    on_page = RawSQL(  # noqa: S611
        f'"activity_activity"."id" = ANY(ARRAY(({inbox_sql}) UNION ({merged_sql})))',
        (*inbox_params, *params, limit + 1, user.pk),
        output_field=BooleanField(),
    )
    activities = Activity.objects.alias(on_page=on_page).filter(on_page=True).select_related("actor")
    # Ordered and cut in Python: with ORDER BY … LIMIT PostgreSQL walks the primary key backwards.
    return sorted(activities, key=lambda a: a.pk, reverse=True)[: limit + 1]


@dataclass(frozen=True)
class MergedFollow:
    stream: str
    # Empty: every verb.
    verbs: list[str]
    include_related: bool = True
    # The stream's items from before the follow began are not the follower's news.
    since_activity_id: int = 0


def merged_follows(*, user: User) -> list[MergedFollow]:
    """The user's unmuted follows of streams merged at read time (docs: "Hybrid fan-out")."""
    return [
        MergedFollow(
            stream=stream, verbs=verbs or [], include_related=include_related, since_activity_id=since
        )
        for stream, verbs, include_related, since in Follow.objects.filter(
            user=user, muted=False, stream__in=MergedStream.objects.values("stream")
        ).values_list("stream", "verbs", "include_related", "since_activity_id")
    ]


def _merged_stream_rows(follow: MergedFollow, filters: FeedFilter | None = None) -> QuerySet:
    """A merged stream's rows as the follower's inbox would hold them (their verb filter and
    roll-up switch applied)."""
    rows = ActivityStream.objects.filter(stream=follow.stream, activity_id__gt=follow.since_activity_id)
    if follow.verbs:
        rows = rows.filter(activity__verb__in=follow.verbs)
    if not follow.include_related:
        kind = registry.kind_for(registry.split_stream(follow.stream)[0])
        if kind is not None and kind.rolled_up_kinds:
            rows = rows.exclude(activity__object_type__in=kind.rolled_up_kinds)
    if filters is not None:
        rows = filters.apply(rows, "activity__")
    return rows


def _activities_by_ids_union(
    index_rows: list[QuerySet], limit: int, *, newest_first: bool = True
) -> list[Activity]:
    """Like `_activities_by_id`, over several sources of ids (the inbox and merged streams).

    Each source is its own LIMITed owner-led range scan; an id in two sources (a merged stream
    that also reached the user through a copied one) is one item.
    """
    order = "-activity_id" if newest_first else "activity_id"
    picked = [rows.order_by(order).values_list("activity_id", flat=True)[: limit + 1] for rows in index_rows]
    if connection.features.supports_slicing_ordering_in_compound:
        page_ids = picked[0].union(*picked[1:]) if len(picked) > 1 else picked[0]
    else:
        page_ids = sorted({i for ids in picked for i in ids}, reverse=newest_first)[: limit + 1]
    return list(
        Activity.objects.filter(pk__in=page_ids)
        .select_related("actor")
        .order_by("-pk" if newest_first else "pk")
    )[: limit + 1]


@dataclass(frozen=True)
class MergedBatch:
    # The merged streams the user follows now (a websocket joins their groups).
    streams: list[str]
    activities: list[Activity]
    # The newest activity id read (visible or not): where the next read starts.
    position: int
    more: bool


def merged_after(*, user: User, position: int, limit: int) -> MergedBatch:
    """Activities newer than `position` (an activity id) on the merged streams the user
    follows, oldest first: the websocket's live delivery of what fan-out did not copy."""
    follows = merged_follows(user=user)
    streams = [f.stream for f in follows]
    if not follows:
        return MergedBatch(streams=streams, activities=[], position=position, more=False)
    rows = [_merged_stream_rows(f).filter(activity_id__gt=position) for f in follows]
    activities = _activities_by_ids_union(rows, limit, newest_first=False)
    more = len(activities) > limit
    activities = activities[:limit]
    return MergedBatch(
        streams=streams,
        activities=registry.visible_activities(user, activities),
        position=activities[-1].pk if activities else position,
        more=more,
    )


def merged_activity_for(*, user: User, activity_id: int) -> Activity | None:
    """One activity of a merged stream the user follows (verb filter applied), if they may see it.

    For the websocket: an activity whose transaction committed after a newer one on the same
    merged stream was delivered lies behind the reader's position, so `merged_after` never
    returns it; its own push names it, and this reads just that one.
    """
    rows = [_merged_stream_rows(f).filter(activity_id=activity_id) for f in merged_follows(user=user)]
    if not rows:
        return None
    found = registry.visible_activities(user, _activities_by_ids_union(rows, 1))
    return found[0] if found else None


def newest_activity_id() -> int:
    """The newest activity id (0 when there is none): a live reader's starting position."""
    return Activity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


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


def _who_may_see(stream: str, user_ids: list[int]) -> set[int]:
    prefix, object_id = registry.split_stream(stream)
    kind = registry.kind_for(prefix)
    return kind.users_who_can_see(object_id, user_ids) if kind else set()


def followers_list(*, stream: str, limit: int = 50) -> list[User]:
    """Who follows a stream and may still see it, most recent first."""
    follows = list(
        Follow.objects.filter(stream=stream, user__is_active=True)
        .select_related("user")
        .order_by("-created_at")[: limit * 4]
    )
    allowed = _who_may_see(stream, [f.user_id for f in follows])
    return [f.user for f in follows if f.user_id in allowed][:limit]


def follower_count(*, stream: str) -> int:
    """How many active people follow a stream and may see it (a lost access stops counting)."""
    prefix, _ = registry.split_stream(stream)
    kind = registry.kind_for(prefix)
    follows = Follow.objects.filter(stream=stream, user__is_active=True)
    if kind is None or kind.users_who_can_see is registry.everyone:
        return follows.count()
    return len(_who_may_see(stream, list(follows.values_list("user_id", flat=True))))


def company_feed(
    *, viewer: User, before: int | None = None, limit: int | None = None, filters: FeedFilter | None = None
) -> FeedPage:
    """Every activity in the company the viewer may see, newest first (fan-out on read).

    Deliberately read-time: copying every activity into every inbox is what the news feed's
    follow model exists to avoid. One range scan on the primary key plus the visibility checks.
    """
    limit = clamp_limit(limit)
    # Likes and join requests are record-only activities (they name a notification); not company news.
    qs = Activity.objects.exclude(verb__in=[Verb.LIKE, Verb.JOIN])
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
