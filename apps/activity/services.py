"""Activity writes: publishing, following and fan-out."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import User

from . import registry
from .models import Activity, ActivityStream, Follow, InboxEntry
from .presenters import activity_to_dict
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
) -> Activity:
    """Record an activity and schedule its fan-out once the surrounding transaction commits.

    The activity, its stream memberships and the outbox mark are written in the caller's
    transaction, so the activity exists if and only if the change that caused it does.
    Streams: the object's, the target's, the actor's, plus any given.
    Raises IntegrityError on a repeated (source_client, idempotency_key).
    """
    with transaction.atomic():
        activity = Activity.objects.create(
            actor=actor,
            verb=verb,
            object_type=obj.type,
            object_id=obj.id,
            object_name=obj.name[:255],
            target_type=target.type if target else "",
            target_id=target.id if target else "",
            target_name=target.name[:255] if target else "",
            summary=summary[:500],
            changes=[c.as_json() for c in changes],
            payload=payload or {},
            source=source,
            source_client=source_client,
            idempotency_key=idempotency_key,
            published=published or timezone.now(),
            fanout_due_at=timezone.now() + _outbox_grace(),
        )
        keys = {obj.stream, *streams}
        if target:
            keys.add(target.stream)
        if actor is not None:
            keys.add(actor.stream_key)
        ActivityStream.objects.bulk_create(
            [ActivityStream(activity=activity, stream=key) for key in sorted(keys)]
        )
        transaction.on_commit(partial(_enqueue_fanout, activity.pk))
    return activity


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
    *, user: User, stream: str, verbs: Sequence[str] | None = None, muted: bool = False
) -> Follow:
    """Follow a stream (idempotent: following again updates the settings)."""
    prefix, object_id = registry.split_stream(stream)
    kind = registry.kind_for(prefix)
    if kind is None or not kind.followable or not object_id:
        raise ValidationError({"stream": f"Unknown stream {stream!r}."})
    follow, _ = Follow.objects.update_or_create(
        user=user, stream=stream, defaults={"verbs": list(verbs or []), "muted": muted}
    )
    return follow


def follow_ensure(*, user: User, stream: str) -> None:
    """Make `user` follow `stream` without touching existing settings (auto-follow)."""
    Follow.objects.bulk_create([Follow(user=user, stream=stream)], ignore_conflicts=True)


def follow_delete(*, user: User, stream: str) -> bool:
    """Stop following; returns whether a follow existed."""
    deleted, _ = Follow.objects.filter(user=user, stream=stream).delete()
    return deleted > 0


@dataclass(frozen=True)
class FanoutResult:
    activity_id: int
    recipients: int


def _recipient_ids(activity: Activity, streams: list[str]) -> set[int]:
    recipients: set[int] = set()
    for user_id, verbs in (
        Follow.objects.filter(stream__in=streams, muted=False)
        .values_list("user_id", "verbs")
        .iterator(chunk_size=5000)
    ):
        if not verbs or activity.verb in verbs:
            recipients.add(user_id)
    recipients |= registry.direct_recipients(streams)
    if activity.actor_id:
        recipients.add(activity.actor_id)
    if not recipients:
        return recipients
    active = set(User.objects.filter(pk__in=recipients, is_active=True).values_list("pk", flat=True))
    return registry.users_who_can_see(activity, active)


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


def activity_fanout(*, activity_id: int) -> FanoutResult:
    """Write one inbox row per permitted recipient, then hand the batch to delivery sinks.

    Idempotent: rows are unique per (user, activity), so a retried run adds nothing; sinks
    may see a batch twice and their consumers deduplicate on the activity id.
    """
    activity = Activity.objects.select_related("actor").filter(pk=activity_id).first()
    if activity is None:
        return FanoutResult(activity_id=activity_id, recipients=0)
    streams = list(ActivityStream.objects.filter(activity=activity).values_list("stream", flat=True))
    recipients = sorted(_recipient_ids(activity, streams))
    chunk = settings.FEEDHUB["FANOUT_CHUNK_SIZE"]
    with transaction.atomic():
        _serialize_inbox_writes()
        for start in range(0, len(recipients), chunk):
            InboxEntry.objects.bulk_create(
                [
                    InboxEntry(user_id=uid, activity_id=activity.pk)
                    for uid in recipients[start : start + chunk]
                ],
                ignore_conflicts=True,
            )
        Activity.objects.filter(pk=activity.pk).update(fanout_pending=False)
    batch = registry.DeliveredBatch(
        activity=activity, data=activity_to_dict(activity), recipient_ids=recipients, streams=streams
    )
    for sink in registry.sinks():
        sink(batch)
    return FanoutResult(activity_id=activity.pk, recipients=len(recipients))


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
