"""Activity writes: publishing, following and fan-out."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from apps.accounts.models import User

from . import registry
from .models import Activity, ActivityStream, Follow, InboxEntry, MergedStream
from .presenters import activity_to_dict
from .selectors import newest_activity_id
from .tracking import Change
from .verbs import Source

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ObjectRef:
    """A followable thing as an activity names it: `deal`, `42`, `ACME rebrand`."""

    type: str
    id: str
    name: str = ""

    @property
    def stream(self) -> str:
        return f"{self.type}:{self.id}"


@dataclass(frozen=True)
class PublishSpec:
    """One activity to publish: the arguments of `activity_publish`, for `activity_publish_many`."""

    actor: User | None
    verb: str
    obj: ObjectRef
    target: ObjectRef | None = None
    summary: str = ""
    changes: Sequence[Change] = ()
    streams: Iterable[str] = ()
    payload: dict | None = None
    source: str = Source.WEB
    source_client: str = ""
    idempotency_key: str | None = None
    published: datetime | None = None

    def row(self, now: datetime) -> Activity:
        target = self.target
        return Activity(
            actor=self.actor,
            verb=self.verb,
            object_type=self.obj.type,
            object_id=self.obj.id,
            object_name=self.obj.name[:255],
            target_type=target.type if target else "",
            target_id=target.id if target else "",
            target_name=target.name[:255] if target else "",
            summary=self.summary[:500],
            changes=[c.as_json() for c in self.changes],
            payload=self.payload or {},
            source=self.source,
            source_client=self.source_client,
            idempotency_key=self.idempotency_key,
            published=self.published or now,
            fanout_due_at=now + _outbox_grace(),
        )

    def stream_keys(self) -> list[str]:
        """The object's, the target's and the actor's streams, plus any named."""
        keys = {self.obj.stream, *self.streams}
        if self.target:
            keys.add(self.target.stream)
        if self.actor is not None:
            keys.add(self.actor.stream_key)
        return sorted(keys)


def activity_publish(
    *,
    actor: User | None,
    verb: str,
    obj: ObjectRef,
    target: ObjectRef | None = None,
    summary: str = "",
    changes: Sequence[Change] = (),
    streams: Iterable[str] = (),
    payload: dict | None = None,
    source: str = Source.WEB,
    source_client: str = "",
    idempotency_key: str | None = None,
    published: datetime | None = None,
    record_only: bool = False,
) -> Activity:
    """Record an activity and schedule its fan-out once the surrounding transaction commits.

    The activity, its stream memberships and the outbox mark are written in the caller's
    transaction, so the activity exists if and only if the change that caused it does.
    Streams: the object's, the target's, the actor's, plus any given.
    `record_only` writes the activity to no stream and fans nothing out: no feed shows it, and
    it exists to be named by a notification (a like tells the author, not everyone's feed).
    Raises IntegrityError on a repeated (source_client, idempotency_key).
    """
    spec = PublishSpec(
        actor=actor,
        verb=verb,
        obj=obj,
        target=target,
        summary=summary,
        changes=changes,
        streams=streams,
        payload=payload,
        source=source,
        source_client=source_client,
        idempotency_key=idempotency_key,
        published=published,
    )
    with transaction.atomic():
        activity = spec.row(timezone.now())
        if record_only:
            activity.fanout_pending = False
            activity.fanout_due_at = None
        activity.save(force_insert=True)
        if record_only:
            return activity
        ActivityStream.objects.bulk_create(
            [ActivityStream(activity=activity, stream=key) for key in spec.stream_keys()]
        )
        transaction.on_commit(partial(_enqueue_fanout, activity.pk))
    return activity


def activity_publish_many(*, specs: Sequence[PublishSpec]) -> list[Activity]:
    """Publish many activities set-based: one INSERT for the activities, one for their streams.

    Same guarantees as `activity_publish` (same transaction as the caller, fan-out scheduled per
    activity after commit); ids follow the order of `specs`. Raises IntegrityError if any
    (source_client, idempotency_key) already exists, writing none of them.
    """
    if not specs:
        return []
    now = timezone.now()
    with transaction.atomic():
        activities = Activity.objects.bulk_create([spec.row(now) for spec in specs])
        ActivityStream.objects.bulk_create(
            [
                ActivityStream(activity=activity, stream=key)
                for spec, activity in zip(specs, activities, strict=True)
                for key in spec.stream_keys()
            ]
        )
        ids = [activity.pk for activity in activities]
        transaction.on_commit(partial(_enqueue_fanouts, ids))
    return activities


def _enqueue_fanouts(activity_ids: list[int]) -> None:
    for activity_id in activity_ids:
        _enqueue_fanout(activity_id)


def activity_add_streams(*, activity: Activity, streams: Iterable[str]) -> None:
    """Write an existing activity to more streams (a mention added by an edit), without fanning it
    out again: the caller tells the people concerned. Idempotent."""
    ActivityStream.objects.bulk_create(
        [ActivityStream(activity=activity, stream=s) for s in sorted(set(streams))], ignore_conflicts=True
    )


def _enqueue_fanout(activity_id: int) -> None:
    """Enqueue fan-out after commit. A broker outage must not fail a request whose data is
    committed: the outbox mark stays set and the sweeper enqueues it once the broker is back."""
    from kombu.exceptions import OperationalError as BrokerError

    from .tasks import fanout_activity_task

    try:
        fanout_activity_task.delay(activity_id)
    except (BrokerError, OSError) as exc:
        logger.warning("fan-out of activity %s left to the sweeper: %s", activity_id, exc)


def follow_create(
    *,
    user: User,
    stream: str,
    verbs: Sequence[str] | None = None,
    muted: bool = False,
    include_related: bool = True,
) -> Follow:
    """Follow a stream (idempotent: following again replaces the settings with those given).

    `include_related=False` leaves out what rolls up into the stream from related records (a
    client's briefs and deals); it is refused on streams nothing rolls up into.
    Raises ValidationError for an unknown or unfollowable stream.
    """
    _followable(stream)
    _check_include_related(stream, include_related)
    follow, _ = Follow.objects.update_or_create(
        user=user,
        stream=stream,
        defaults={"verbs": list(verbs or []), "muted": muted, "include_related": include_related},
        create_defaults={
            "verbs": list(verbs or []),
            "muted": muted,
            "include_related": include_related,
            "since_activity_id": newest_activity_id(),
        },
    )
    return follow


def follow_update(
    *,
    user: User,
    stream: str,
    verbs: Sequence[str] | None = None,
    muted: bool | None = None,
    include_related: bool | None = None,
) -> Follow:
    """Change the given settings of an existing follow, keeping the others.

    Raises Follow.DoesNotExist when the user does not follow `stream`, ValidationError for
    `include_related=False` on a stream nothing rolls up into.
    """
    if include_related is not None:
        _check_include_related(stream, include_related)
    with transaction.atomic():
        follow = Follow.objects.select_for_update(no_key=True).get(user=user, stream=stream)
        given = {
            "verbs": list(verbs) if verbs is not None else None,
            "muted": muted,
            "include_related": include_related,
        }
        changed = {name: value for name, value in given.items() if value is not None}
        for name, value in changed.items():
            setattr(follow, name, value)
        if changed:
            follow.save(update_fields=list(changed))
    return follow


def _followable(stream: str) -> None:
    prefix, object_id = registry.split_stream(stream)
    kind = registry.kind_for(prefix)
    if kind is None or not kind.followable or not object_id:
        raise ValidationError({"stream": f"Unknown stream {stream!r}."})


def _check_include_related(stream: str, include_related: bool) -> None:
    prefix, _ = registry.split_stream(stream)
    if not include_related and not registry.rolls_up(prefix):
        raise ValidationError(
            {"include_related": f"Nothing rolls up into {prefix!r} streams: there is nothing to leave out."}
        )


def follow_ensure(*, user: User, stream: str) -> None:
    """Make `user` follow `stream` without touching existing settings (auto-follow)."""
    Follow.objects.bulk_create(
        [Follow(user=user, stream=stream, since_activity_id=newest_activity_id())], ignore_conflicts=True
    )


def follow_auto(*, user_ids: Collection[int], stream: str, rule: str) -> set[int]:
    """Make those of `user_ids` whose auto-follow `rule` is on follow `stream`, keeping existing
    follows' settings (a muted thread stays muted). Returns who the rule applied to."""
    wanted = registry.auto_followers(rule, {uid for uid in user_ids if uid is not None})
    if not wanted:
        return wanted
    since = newest_activity_id()
    Follow.objects.bulk_create(
        [Follow(user_id=uid, stream=stream, since_activity_id=since) for uid in sorted(wanted)],
        ignore_conflicts=True,
    )
    return wanted


def follow_delete(*, user: User, stream: str) -> bool:
    """Stop following; returns whether a follow existed. Unfollow hooks hear of a deleted follow."""
    with transaction.atomic():
        follows = Follow.objects.filter(user=user, stream=stream)
        followed_at = follows.select_for_update().values_list("created_at", flat=True).first()
        deleted, _ = follows.delete()
        if deleted and followed_at is not None:
            ended = registry.FollowEnded(user_id=user.pk, stream=stream, followed_at=followed_at)
            for hook in registry.unfollow_hooks():
                hook(ended)
    return deleted > 0


@dataclass(frozen=True)
class FanoutResult:
    activity_id: int
    recipients: int


def _recipient_ids(activity: Activity, streams: list[str], extra: set[int]) -> set[int]:
    """Active followers of `streams` (unmuted, verb filter passed) plus `extra`, before visibility."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_RECIPIENTS_SQL, _recipient_params(activity, streams, extra))
            return {row[0] for row in cursor.fetchall()}
    recipients = set(extra)
    rolled_up = set(registry.rolled_up_streams(activity.object_type, streams))
    for user_id, stream, verbs, include_related in (
        Follow.objects.filter(stream__in=streams, muted=False)
        .values_list("user_id", "stream", "verbs", "include_related")
        .iterator(chunk_size=5000)
    ):
        if (not verbs or activity.verb in verbs) and (include_related or stream not in rolled_up):
            recipients.add(user_id)
    if not recipients:
        return recipients
    return set(User.objects.filter(pk__in=recipients, is_active=True).values_list("pk", flat=True))


# Recipients in one statement: the stream index finds the follows, the per-follow verb filter is
# a jsonb containment (`["Update"] @> "Update"`), the roll-up switch drops follows of streams
# that carry the activity only by roll-up, and deactivated people drop out in the same query.
_RECIPIENTS_SQL = """
    SELECT u.id FROM accounts_user u
    WHERE u.is_active AND u.id IN (
        SELECT f.user_id FROM activity_follow f
        WHERE f.stream = ANY(%(streams)s) AND NOT f.muted
          AND (f.verbs = '[]'::jsonb OR f.verbs @> to_jsonb(%(verb)s::text))
          AND (f.include_related OR f.stream <> ALL(%(rolled_up)s::text[]))
        UNION ALL SELECT unnest(%(extra)s::bigint[])
    )
"""
# The same recipients written straight into the inbox (no visibility predicate to apply): one
# INSERT … SELECT, which still returns every recipient, so a repeated run pushes again.
_COPY_TO_INBOX_SQL = (
    "WITH recipients AS ("  # noqa: S608 (constant SQL joined to constant SQL)
    + _RECIPIENTS_SQL
    + """), inserted AS (
        INSERT INTO activity_inboxentry (user_id, activity_id)
        SELECT id, %(activity)s FROM recipients ORDER BY id
        ON CONFLICT DO NOTHING
    )
    SELECT id FROM recipients
"""
)


def _recipient_params(activity: Activity, streams: list[str], extra: set[int]) -> dict:
    return {
        "streams": streams,
        "verb": activity.verb,
        "rolled_up": registry.rolled_up_streams(activity.object_type, streams),
        "extra": sorted(extra),
        "activity": activity.pk,
    }


def _inbox_insert(activity_id: int, user_ids: list[int]) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO activity_inboxentry (user_id, activity_id) "
                "SELECT unnest(%s::bigint[]), %s ON CONFLICT DO NOTHING",
                [user_ids, activity_id],
            )
        return
    chunk = settings.FEEDHUB["FANOUT_CHUNK_SIZE"]
    for start in range(0, len(user_ids), chunk):
        InboxEntry.objects.bulk_create(
            [InboxEntry(user_id=uid, activity_id=activity_id) for uid in user_ids[start : start + chunk]],
            ignore_conflicts=True,
        )


# Any constant: the advisory lock that orders inbox writes (see `_serialize_inbox_writes`).
_INBOX_WRITE_LOCK = 0x66656564


def _serialize_inbox_writes() -> None:
    """Make inbox row ids follow commit order.

    Websocket delivery and resume read a user's inbox by row id ("what arrived after my
    position"). Ids come from a sequence when the row is inserted, so two concurrent fan-outs
    could commit in the opposite order to their ids, and a reader between the two commits
    would step past the lower id for good. Holding one transaction-scoped lock from before
    the first insert until commit makes id order and commit order the same. SQLite already
    allows one writer at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_INBOX_WRITE_LOCK])


def _split_merged(streams: list[str]) -> tuple[set[str], list[str]]:
    """(streams already merged at read time, streams this fan-out finds over the threshold)."""
    merged = set(MergedStream.objects.filter(stream__in=streams).values_list("stream", flat=True))
    candidates = [s for s in streams if s not in merged]
    if not candidates:
        return merged, []
    over = (
        Follow.objects.filter(stream__in=candidates)
        .values("stream")
        .annotate(n=Count("id"))
        .filter(n__gt=settings.FEEDHUB["FANOUT_THRESHOLD"])
        .values_list("stream", flat=True)
    )
    return merged, sorted(over)


def activity_fanout(*, activity_id: int) -> FanoutResult:
    """Write one inbox row per permitted recipient, then hand the batch to delivery sinks.

    Followers of merged streams (more followers than FEEDHUB["FANOUT_THRESHOLD"]) get no rows:
    their news feeds read those streams directly. The fan-out that first finds a stream over
    the threshold still copies its activity, then marks the stream merged in the same
    transaction, so every activity reaches each follower one way or the other, and the pushes
    for it tell connected followers to pick up the stream.
    Idempotent: rows are unique per (user, activity), so a retried run adds nothing; sinks
    may see a batch twice and their consumers deduplicate on the activity id.
    """
    activity = Activity.objects.select_related("actor").filter(pk=activity_id).first()
    if activity is None:
        return FanoutResult(activity_id=activity_id, recipients=0)
    streams = list(ActivityStream.objects.filter(activity=activity).values_list("stream", flat=True))
    merged, promoted = _split_merged(streams)
    copied = [s for s in streams if s not in merged]
    extra = registry.direct_recipients(streams)
    if activity.actor_id:
        extra.add(activity.actor_id)
    recipients: list[int] | None = None
    if registry.restricts_audience(activity) or connection.vendor != "postgresql":
        # Visibility runs before the lock is taken: inbox writers queue on it.
        recipients = sorted(registry.users_who_can_see(activity, _recipient_ids(activity, copied, extra)))
    with transaction.atomic():
        _serialize_inbox_writes()
        if recipients is None:
            with connection.cursor() as cursor:
                cursor.execute(_COPY_TO_INBOX_SQL, _recipient_params(activity, copied, extra))
                recipients = sorted(row[0] for row in cursor.fetchall())
        elif recipients:
            _inbox_insert(activity.pk, recipients)
        if promoted:
            MergedStream.objects.bulk_create(
                [MergedStream(stream=s, since_activity_id=activity.pk) for s in promoted],
                ignore_conflicts=True,
            )
        Activity.objects.filter(pk=activity.pk).update(fanout_pending=False)
    batch = registry.DeliveredBatch(
        activity=activity,
        data=activity_to_dict(activity),
        recipient_ids=recipients,
        streams=streams,
        merged_streams=sorted(merged),
    )
    _run_sinks(batch)
    return FanoutResult(activity_id=activity.pk, recipients=len(recipients))


def activity_deliver(*, activity: Activity, user_ids: Collection[int]) -> list[int]:
    """Bring an already published activity into more people's news feeds (someone an edit newly
    mentions), without fanning it out again.

    Of `user_ids`, those active, allowed to see it and not holding it yet get an inbox row; after
    commit the delivery sinks hear of exactly those (a `late` batch: a live push to them; sinks
    that act once per activity, such as webhooks, skip it). Idempotent: a person gets the item
    once, however often it is delivered. Returns who received it now. Call inside the caller's
    transaction, as its last write: inbox writes hold a lock until commit.
    """
    wanted = set(User.objects.filter(pk__in=set(user_ids), is_active=True).values_list("pk", flat=True))
    allowed = sorted(registry.users_who_can_see(activity, wanted)) if wanted else []
    if not allowed:
        return []
    with transaction.atomic():
        _serialize_inbox_writes()
        holding = InboxEntry.objects.filter(activity=activity, user_id__in=allowed)
        have = set(holding.values_list("user_id", flat=True))
        new = [uid for uid in allowed if uid not in have]
        InboxEntry.objects.bulk_create(
            [InboxEntry(user_id=uid, activity=activity) for uid in new], ignore_conflicts=True
        )
        if new:
            batch = registry.DeliveredBatch(
                activity=activity, data=activity_to_dict(activity), recipient_ids=new, streams=[], late=True
            )
            transaction.on_commit(partial(_run_sinks, batch))
    return new


def _run_sinks(batch: registry.DeliveredBatch) -> None:
    for sink in registry.sinks():
        sink(batch)


def _outbox_grace() -> timedelta:
    return timedelta(seconds=settings.FEEDHUB["OUTBOX_GRACE_SECONDS"])


def outbox_claim_due(*, limit: int = 1000) -> list[int]:
    """Claim pending fan-outs whose due time has passed, oldest first, for re-enqueueing.

    Each claim moves the due time on by the grace period doubled per earlier claim (capped at
    an hour), so concurrent sweepers and a backlog slower than the grace period do not flood the
    queue with copies of the same work.
    """
    now = timezone.now()
    grace = settings.FEEDHUB["OUTBOX_GRACE_SECONDS"]
    with transaction.atomic():
        rows = list(
            Activity.objects.filter(fanout_pending=True, fanout_due_at__lt=now)
            .order_by("fanout_due_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", "fanout_claims")[:limit]
        )
        by_claims: dict[int, list[int]] = {}
        for pk, claims in rows:
            by_claims.setdefault(claims, []).append(pk)
        for claims, ids in by_claims.items():
            delay = timedelta(seconds=min(grace * 2 ** (claims + 1), 3600))
            Activity.objects.filter(pk__in=ids).update(fanout_due_at=now + delay, fanout_claims=claims + 1)
    return [pk for pk, _ in rows]
