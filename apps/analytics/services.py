"""Analytics writes: the daily rollup of the activity log, unfollow records and pulse opt-ins."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from apps.accounts.models import User
from apps.activity import registry
from apps.activity.models import Activity, ActivityStream, Follow
from apps.activity.verbs import Verb
from apps.records.kinds import RECORD_MODELS
from apps.social.models import Comment, CommentLike, Like, Post

from .freshness import rollup_changed
from .models import DailyRollup, FollowEnded, PulseSubscription, RecordState

# The kinds measured as subjects. Posts, comments and mentions are facts, not subjects.
SUBJECT_KINDS = ("client", "brief", "deal", "user", "group", "topic")
# Every fact is also counted under this subject, so company-wide figures count each once.
EVERYTHING = "*"
# The company-wide subject also gets one row per day across every context: what a reader who may
# see every context reads instead of summing thousands of per-context rows.
ALL_CONTEXTS = ""
COUNTERS = ("activities", "posts", "comments", "likes", "followers_gained", "followers_lost")
CHUNK = 5000


def follow_ended_record(ended: registry.FollowEnded) -> None:
    """Keep a deleted follow (registered as an unfollow hook; runs in the unfollowing transaction)."""
    FollowEnded.objects.create(
        user_id=ended.user_id, stream=ended.stream, followed_at=ended.followed_at, ended_at=timezone.now()
    )


def pulse_subscription_set(*, user: User, enabled: bool) -> PulseSubscription:
    """Opt in to (or out of) the weekly pulse email; idempotent."""
    subscription, _ = PulseSubscription.objects.update_or_create(user=user, defaults={"enabled": enabled})
    return subscription


@dataclass(frozen=True)
class Placement:
    """Where an activity counts: the subjects it belongs to and the contexts governing who sees it."""

    subjects: tuple[str, ...]
    context: str
    context2: str = ""


@dataclass
class _Cell:
    activities: int = 0
    posts: int = 0
    comments: int = 0
    likes: int = 0
    followers_gained: int = 0
    followers_lost: int = 0
    participants: set[int] = field(default_factory=set)
    response_seconds: list[int] = field(default_factory=list)


class _Day:
    """The cells of one day's rollup, keyed by (subject, context, context2)."""

    def __init__(self) -> None:
        self.cells: dict[tuple[str, str, str], _Cell] = {}

    def at(self, placement: Placement) -> Iterator[_Cell]:
        for subject in placement.subjects:
            key = (subject, placement.context, placement.context2)
            cell = self.cells.get(key)
            if cell is None:
                cell = self.cells[key] = _Cell()
            yield cell

    def rows(self, day: date) -> list[DailyRollup]:
        cells = dict(self.cells)
        if cells:
            cells[(EVERYTHING, ALL_CONTEXTS, "")] = self._everything_in_all_contexts()
        return [
            DailyRollup(
                day=day,
                subject=subject,
                subject_type=registry.split_stream(subject)[0],
                context=context,
                context2=context2,
                activities=c.activities,
                posts=c.posts,
                comments=c.comments,
                likes=c.likes,
                followers_gained=c.followers_gained,
                followers_lost=c.followers_lost,
                participants=sorted(c.participants),
                response_seconds=sorted(c.response_seconds),
            )
            for (subject, context, context2), c in cells.items()
        ]

    def _everything_in_all_contexts(self) -> _Cell:
        total = _Cell()
        for (subject, _context, _context2), c in self.cells.items():
            if subject != EVERYTHING:
                continue
            for name in COUNTERS:
                setattr(total, name, getattr(total, name) + getattr(c, name))
            total.participants |= c.participants
            total.response_seconds += c.response_seconds
        return total


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _is_subject(stream: str) -> bool:
    return registry.split_stream(stream)[0] in SUBJECT_KINDS


_ACTIVITY_FIELDS = (
    "pk",
    "actor_id",
    "verb",
    "object_type",
    "object_id",
    "target_type",
    "target_id",
    "published",
)


def _placements(activities: list[tuple]) -> dict[int, Placement]:
    """Place each activity (rows of `_ACTIVITY_FIELDS`): three queries for the whole batch.

    A post's visibility is its stream's, and a comment's is that of what it replies to (a post's
    stream, or the record whose change it answers), so both count under that stream as context;
    that stream is also a subject, so a comment on a post in `deal:42` counts for the deal.
    """
    ids = [a[0] for a in activities]
    streams: dict[int, list[str]] = {}
    for activity_id, stream in ActivityStream.objects.filter(activity_id__in=ids).values_list(
        "activity_id", "stream"
    ):
        streams.setdefault(activity_id, []).append(stream)
    post_ids = {
        int(object_id)
        for a in activities
        for kind, object_id in ((a[3], a[4]), (a[5], a[6]))
        if kind == "post" and object_id.isdigit()
    }
    post_streams = {str(pk): s for pk, s in Post.objects.filter(pk__in=post_ids).values_list("pk", "stream")}

    def context_of(kind: str, object_id: str) -> str:
        if kind == "post":
            return post_streams.get(object_id, f"post:{object_id}")
        if kind in ("", "comment"):
            return ""
        return f"{kind}:{object_id}"

    placed: dict[int, Placement] = {}
    for pk, _actor, _verb, object_type, object_id, target_type, target_id, _published in activities:
        contexts = [
            c
            for c in dict.fromkeys((context_of(object_type, object_id), context_of(target_type, target_id)))
            if c
        ]
        if not contexts:
            contexts = [f"{object_type}:{object_id}"]
        subjects = {EVERYTHING}
        subjects |= {s for s in streams.get(pk, ()) if _is_subject(s)} | {
            c for c in contexts if _is_subject(c)
        }
        placed[pk] = Placement(
            subjects=tuple(sorted(subjects)),
            context=contexts[0],
            context2=contexts[1] if len(contexts) > 1 else "",
        )
    return placed


def _activities_by_id(ids: Iterable[int]) -> list[tuple]:
    return list(Activity.objects.filter(pk__in=list(ids)).values_list(*_ACTIVITY_FIELDS))


def _count_activities(day: _Day, start: datetime, end: datetime) -> None:
    rows = (
        Activity.objects.filter(published__gte=start, published__lt=end)
        .order_by("pk")
        .values_list(*_ACTIVITY_FIELDS)
        .iterator(chunk_size=CHUNK)
    )
    for batch in _chunks(rows, CHUNK):
        placed = _placements(batch)
        for pk, actor_id, verb, object_type, *_rest in batch:
            created = verb == Verb.CREATE
            for cell in day.at(placed[pk]):
                cell.activities += 1
                cell.posts += created and object_type == "post"
                cell.comments += created and object_type == "comment"
                if actor_id is not None:
                    cell.participants.add(actor_id)
        _count_first_responses(
            day, [a for a in batch if a[2] == Verb.CREATE and a[3] == "comment" and a[5] == "post"]
        )


def _count_first_responses(day: _Day, comments: list[tuple]) -> None:
    """Time to first response: a reply counts when it is the post's first by someone other than its author.

    It is attributed to the post's subjects on the day of the reply, so a day's rollup is final
    once the day is over, however late the reply comes.
    """
    if not comments:
        return
    posts = {
        str(pk): (activity_id, author_id)
        for pk, activity_id, author_id in Post.objects.filter(
            pk__in=[int(c[6]) for c in comments if c[6].isdigit()], activity__isnull=False
        ).values_list("pk", "activity_id", "author_id")
    }
    first_reply: dict[int, int] = {}
    authors = {activity_id: author_id for activity_id, author_id in posts.values()}
    for activity_id, author_id, comment_id in (
        Comment.objects.filter(activity_id__in=list(authors))
        .order_by("pk")
        .values_list("activity_id", "author_id", "pk")
    ):
        if author_id != authors[activity_id]:
            first_reply.setdefault(activity_id, comment_id)
    post_activities = {a[0]: a for a in _activities_by_id(authors)}
    placed = _placements(list(post_activities.values()))
    for _pk, _actor, _verb, _otype, comment_id, _ttype, post_id, published in comments:
        post = posts.get(post_id)
        if post is None or first_reply.get(post[0]) != int(comment_id) or post[0] not in post_activities:
            continue
        seconds = int((published - post_activities[post[0]][7]).total_seconds())
        for cell in day.at(placed[post[0]]):
            cell.response_seconds.append(max(0, seconds))


def _count_likes(day: _Day, start: datetime, end: datetime) -> None:
    """A like counts for the subjects of what was liked (post, change, comment), the day it was given."""
    likes = list(
        Like.objects.filter(created_at__gte=start, created_at__lt=end).values_list("user_id", "activity_id")
    )
    comment_likes = list(
        CommentLike.objects.filter(created_at__gte=start, created_at__lt=end).values_list(
            "user_id", "comment_id"
        )
    )
    if comment_likes:
        comment_activity = dict(
            Activity.objects.filter(
                verb=Verb.CREATE, object_type="comment", object_id__in=[str(c) for _, c in comment_likes]
            ).values_list("object_id", "pk")
        )
        likes += [(u, comment_activity[str(c)]) for u, c in comment_likes if str(c) in comment_activity]
    for batch in _chunks(likes, CHUNK):
        placed = _placements(_activities_by_id({a for _, a in batch}))
        for user_id, activity_id in batch:
            for cell in day.at(placed[activity_id]):
                cell.likes += 1
                cell.participants.add(user_id)


def _count_follows(day: _Day, start: datetime, end: datetime) -> None:
    """Followers gained: follows begun that day (whether or not since ended). Lost: follows ended that day."""
    gained = list(
        Follow.objects.filter(created_at__gte=start, created_at__lt=end).values_list("stream", flat=True)
    )
    gained += FollowEnded.objects.filter(followed_at__gte=start, followed_at__lt=end).values_list(
        "stream", flat=True
    )
    lost = FollowEnded.objects.filter(ended_at__gte=start, ended_at__lt=end).values_list("stream", flat=True)
    for streams, attr in ((gained, "followers_gained"), (lost, "followers_lost")):
        for stream in streams:
            if _is_subject(stream):
                for cell in day.at(Placement(subjects=(EVERYTHING, stream), context=stream)):
                    setattr(cell, attr, getattr(cell, attr) + 1)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def _lock_day(day: date) -> None:
    """Two rollups of the same day wait for each other instead of interleaving delete and insert."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x616E6C, day.toordinal()])


def rollup_day(*, day: date) -> int:
    """Rebuild the rollup rows of one UTC day from the activity log; returns how many rows it wrote.

    Idempotent and safe to re-run: the day's rows are replaced in one transaction, so running it
    twice gives the same rows, and re-running a day after late data (a like on an old post, an
    unfollow) brings it up to date. Reads only rows of that day (plus what they point at).
    """
    start, end = day_bounds(day)
    cells = _Day()
    _count_activities(cells, start, end)
    _count_likes(cells, start, end)
    _count_follows(cells, start, end)
    rows = cells.rows(day)
    with transaction.atomic():
        _lock_day(day)
        DailyRollup.objects.filter(day=day).delete()
        DailyRollup.objects.bulk_create(rows, batch_size=CHUNK)
        transaction.on_commit(rollup_changed)
    return len(rows)


def rollup_range(*, first: date, last: date) -> int:
    """Roll up every day from `first` to `last` inclusive, then refresh record states; returns the
    rollup rows written."""
    total = 0
    day = first
    while day <= last:
        total += rollup_day(day=day)
        day += timedelta(days=1)
    record_states_refresh()
    return total


def rollup_recent() -> int:
    """Roll up yesterday (now final) and today so far: what the hourly beat entry runs."""
    today = timezone.now().astimezone(UTC).date()
    return rollup_range(first=today - timedelta(days=1), last=today)


COLD_KINDS = ("deal", "brief")


def record_states_refresh() -> int:
    """Rebuild every deal's and brief's last active day and follower count; returns the rows.

    Three grouped reads (records, rollup, follows) and one bulk insert, replacing the table in
    one transaction, so readers see the old states or the new ones.
    """
    last_active = dict(
        DailyRollup.objects.filter(subject_type__in=COLD_KINDS, activities__gt=0)
        .values("subject")
        .annotate(last=Max("day"))
        .values_list("subject", "last")
    )
    followers = dict(
        Follow.objects.filter(Q(stream__startswith="deal:") | Q(stream__startswith="brief:"))
        .values("stream")
        .annotate(n=Count("pk"))
        .values_list("stream", "n")
    )
    rows = [
        RecordState(
            subject=f"{prefix}:{pk}",
            subject_type=prefix,
            record_id=pk,
            last_active=last_active.get(f"{prefix}:{pk}"),
            followers=followers.get(f"{prefix}:{pk}", 0),
        )
        for prefix in COLD_KINDS
        for pk in RECORD_MODELS[prefix].objects.values_list("pk", flat=True).iterator(chunk_size=CHUNK)
    ]
    with transaction.atomic():
        RecordState.objects.all().delete()
        RecordState.objects.bulk_create(rows, batch_size=CHUNK)
    return len(rows)
