"""Notification writes: creating and aggregating notifications, reading them, preferences."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import BigIntegerField, Case, Count, F, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from apps.accounts.models import User
from apps.activity import registry
from apps.activity.models import Activity, Follow
from apps.activity.verbs import Verb

from .models import (
    Notification,
    NotificationEvent,
    NotificationMute,
    NotificationPreference,
    NotificationSettings,
    UnreadCounter,
)
from .reasons import DEFAULT_CHANNELS, REASON_PRIORITY, Channel, DigestFrequency, Reason


@dataclass
class NotifyResult:
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    instant_email: list[int] = field(default_factory=list)

    @property
    def recipients(self) -> list[int]:
        return sorted({*self.created, *self.updated})


def _channels_for(user_ids: Collection[int], reason: str) -> dict[int, str]:
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=user_ids, reason=reason).values_list(
            "user_id", "channel"
        )
    )
    default = DEFAULT_CHANNELS.get(reason, Channel.IN_APP)
    return {uid: chosen.get(uid, default) for uid in user_ids}


def in_quiet_hours(*, now: dt.datetime, tz_name: str, start: dt.time | None, end: dt.time | None) -> bool:
    """Is `now` inside the quiet window, read in the person's time zone? Windows may span midnight."""
    if start is None or end is None or start == end:
        return False
    try:
        tz = zoneinfo.ZoneInfo(tz_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = dt.UTC
    local = now.astimezone(tz).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end


def _quiet_now(user_ids: Collection[int], now: dt.datetime) -> set[int]:
    rows = NotificationSettings.objects.filter(
        user_id__in=user_ids, quiet_start__isnull=False, quiet_end__isnull=False
    ).values_list("user_id", "user__timezone", "quiet_start", "quiet_end")
    return {
        uid
        for uid, tz_name, start, end in rows
        if in_quiet_hours(now=now, tz_name=tz_name, start=start, end=end)
    }


def _notify_chunk(
    *, recipient_ids: list[int], reason: str, activity: Activity, actor_id: int | None, target: str
) -> NotifyResult:
    result = NotifyResult()
    already = set(
        NotificationEvent.objects.filter(activity=activity, recipient_id__in=recipient_ids).values_list(
            "recipient_id", flat=True
        )
    )
    muted = set(
        NotificationMute.objects.filter(user_id__in=recipient_ids, stream=target).values_list(
            "user_id", flat=True
        )
    )
    candidates = [uid for uid in recipient_ids if uid not in already and uid not in muted]
    channels = {uid: ch for uid, ch in _channels_for(candidates, reason).items() if ch != Channel.OFF}
    if not channels:
        return result
    now = timezone.now()
    wants_email = [uid for uid, ch in channels.items() if ch == Channel.INSTANT]
    quiet = _quiet_now(wants_email, now) if wants_email else set()
    # Quiet hours hold instant emails back for the digest rather than dropping them.
    to_digest = {uid for uid, ch in channels.items() if ch == Channel.DIGEST} | quiet
    result.instant_email = sorted(set(wants_email) - quiet)

    # Lock the open notifications we will aggregate into, so a concurrent mark-read waits.
    existing = dict(
        Notification.objects.select_for_update(no_key=True)
        .filter(recipient_id__in=list(channels), reason=reason, open_key=target)
        .values_list("recipient_id", "pk")
    )
    fresh = [uid for uid in channels if uid not in existing]
    if fresh:
        Notification.objects.bulk_create(
            [
                Notification(
                    recipient_id=uid,
                    reason=reason,
                    target=target,
                    open_key=target,
                    activity=activity,
                    actor_id=actor_id,
                    digest_pending=uid in to_digest,
                )
                for uid in fresh
            ],
            ignore_conflicts=True,
        )
        created = dict(
            Notification.objects.filter(activity=activity, recipient_id__in=fresh).values_list(
                "recipient_id", "pk"
            )
        )
        result.created = sorted(created)
        # Lost a race with another activity's insert: aggregate into the row that won.
        raced = [uid for uid in fresh if uid not in created]
        if raced:
            existing.update(
                Notification.objects.select_for_update(no_key=True)
                .filter(recipient_id__in=raced, reason=reason, open_key=target)
                .values_list("recipient_id", "pk")
            )
    else:
        created = {}
    if existing:
        newer = {"activity_id__lt": activity.pk}
        Notification.objects.filter(pk__in=list(existing.values())).update(
            actor_id=Case(
                When(**newer, then=Value(actor_id)), default=F("actor_id"), output_field=BigIntegerField()
            ),
            activity_id=Greatest(F("activity_id"), Value(activity.pk), output_field=BigIntegerField()),
            updated_at=now,
        )
        digest_ids = [pk for uid, pk in existing.items() if uid in to_digest]
        if digest_ids:
            Notification.objects.filter(pk__in=digest_ids).update(digest_pending=True)
        result.updated = sorted(existing)
    notification_ids = {**existing, **created}
    NotificationEvent.objects.bulk_create(
        [
            NotificationEvent(notification_id=pk, recipient_id=uid, activity=activity, actor_id=actor_id)
            for uid, pk in notification_ids.items()
        ],
        ignore_conflicts=True,
    )
    if existing:
        distinct_actors = (
            NotificationEvent.objects.filter(notification=OuterRef("pk"))
            .values("notification")
            .annotate(n=Count("actor", distinct=True))
            .values("n")
        )
        Notification.objects.filter(pk__in=list(existing.values())).update(
            actor_count=Greatest(
                Coalesce(Subquery(distinct_actors, output_field=IntegerField()), Value(1)), Value(1)
            )
        )
    if created:
        UnreadCounter.objects.bulk_create(
            [UnreadCounter(user_id=uid) for uid in created], ignore_conflicts=True
        )
        UnreadCounter.objects.filter(user_id__in=list(created)).update(unread=F("unread") + 1)
    return result


def notify(
    *,
    recipients: Iterable[int],
    reason: str,
    activity: Activity,
    actor: User | None = None,
    target: str | None = None,
) -> NotifyResult:
    """Tell these people (user ids) about `activity` for `reason`: the one entry point for every reason.

    Aggregates into the recipient's open (unread) notification for the same reason and target
    (`target` defaults to the activity's object stream), otherwise creates one. Skips the actor,
    people who muted the target or turned the reason off, and anyone this activity was already
    applied to, so a retry changes nothing. Keeps unread counters, marks digest items, and after
    commit pushes the new unread count over websockets and enqueues instant emails.
    Callers have already checked that the recipients may see the activity.
    """
    from .tasks import push_notifications_task, send_notification_email_task

    actor_id = actor.pk if actor is not None else activity.actor_id
    target = target or activity.object_stream
    ids = sorted({uid for uid in recipients if uid != actor_id})
    chunk = settings.FEEDHUB["NOTIFY_CHUNK_SIZE"]
    total = NotifyResult()
    for start in range(0, len(ids), chunk):
        with transaction.atomic():
            part = _notify_chunk(
                recipient_ids=ids[start : start + chunk],
                reason=reason,
                activity=activity,
                actor_id=actor_id,
                target=target,
            )
            if part.recipients:
                push_notifications_task.delay_on_commit(activity.pk, part.recipients)
            for uid in part.instant_email:
                send_notification_email_task.delay_on_commit(uid, activity.pk)
        total.created += part.created
        total.updated += part.updated
        total.instant_email += part.instant_email
    return total


def reasons_for_activity(*, activity: Activity, recipient_ids: Collection[int]) -> dict[str, set[int]]:
    """Which fan-out recipients get a notification, and why, for the reasons feedhub emits today.

    Followers of the activity's own object (not merely of its actor) hear about its creation and
    changes; whoever an `Update` makes the new owner is told they were assigned. Each person gets
    the single most personal reason. Kinds that opt out (`notify_changes=False`: people, posts,
    comments, groups) do not notify their followers this way: the social services call `notify`
    directly for their reasons (mentions, comments, likes, best answers, group additions, polls).
    """
    kind = registry.kind_for(activity.object_type)
    if activity.verb not in (Verb.CREATE, Verb.UPDATE) or (kind is not None and not kind.notify_changes):
        return {}
    wanted = [uid for uid in recipient_ids if uid != activity.actor_id]
    by_user: dict[int, str] = {}
    for change in activity.changes or []:
        new_owner = change.get("new")
        if change.get("field") == "owner" and isinstance(new_owner, int) and new_owner in wanted:
            by_user[new_owner] = Reason.ASSIGNED
    followers = Follow.objects.filter(
        stream=activity.object_stream, user_id__in=wanted, muted=False
    ).values_list("user_id", flat=True)
    rank = {reason: i for i, reason in enumerate(REASON_PRIORITY)}
    for uid in followers:
        current = by_user.get(uid)
        if current is None or rank[Reason.RECORD_CHANGED] < rank[current]:
            by_user[uid] = Reason.RECORD_CHANGED
    reasons: dict[str, set[int]] = {}
    for uid, reason in by_user.items():
        reasons.setdefault(reason, set()).add(uid)
    return reasons


def notify_for_activity(*, activity_id: int, recipient_ids: Collection[int]) -> NotifyResult:
    """Create the notifications one fanned-out activity gives these recipients (the sink's task)."""
    activity = Activity.objects.select_related("actor").filter(pk=activity_id).first()
    total = NotifyResult()
    if activity is None:
        return total
    for reason, ids in reasons_for_activity(activity=activity, recipient_ids=recipient_ids).items():
        part = notify(recipients=ids, reason=reason, activity=activity)
        total.created += part.created
        total.updated += part.updated
        total.instant_email += part.instant_email
    return total


def notify_stream_followers_page(
    *, activity_id: int, stream: str, after_user_id: int, limit: int
) -> int | None:
    """Notifications for one page of a merged stream's followers, by user id after `after_user_id`.

    Fan-out copies nothing for a merged stream, so its followers are not among the batch's
    recipients; they are found here instead, a page at a time on the `(stream, user)` index, with
    the same filters fan-out applies (active, unmuted, verb filter, visibility at delivery time).
    Returns where the next page starts, or None after the last. Idempotent like `notify`.
    """
    activity = Activity.objects.select_related("actor").filter(pk=activity_id).first()
    if activity is None:
        return None
    page = list(
        Follow.objects.filter(stream=stream, user_id__gt=after_user_id, muted=False, user__is_active=True)
        .order_by("user_id")
        .values_list("user_id", "verbs")[:limit]
    )
    wanted = [uid for uid, verbs in page if not verbs or activity.verb in verbs]
    if wanted:
        notify_for_activity(
            activity_id=activity_id, recipient_ids=registry.users_who_can_see(activity, wanted)
        )
    return page[-1][0] if len(page) == limit else None


def _close(qs) -> list[int]:
    """Mark these unread notifications read; returns the recipients whose counter must drop, once each."""
    rows = list(qs.filter(unread=True).select_for_update(no_key=True).values_list("pk", "recipient_id"))
    if not rows:
        return []
    Notification.objects.filter(pk__in=[pk for pk, _ in rows]).update(
        unread=False, open_key=None, updated_at=timezone.now()
    )
    return [uid for _, uid in rows]


def notification_mark_read(*, user: User, notification: Notification) -> int:
    """Mark one of the user's notifications read; returns the new unread count. Idempotent."""
    from .tasks import push_unread_count_task

    with transaction.atomic():
        closed = _close(Notification.objects.filter(pk=notification.pk, recipient=user))
        if closed:
            UnreadCounter.objects.filter(user=user).update(unread=Greatest(F("unread") - 1, Value(0)))
            push_unread_count_task.delay_on_commit(user.pk)
        count = UnreadCounter.objects.filter(user=user).values_list("unread", flat=True).first() or 0
    return count


def notification_mark_all_read(*, user: User, before: int | None = None) -> int:
    """Mark all (or those up to activity id `before`) read; returns how many were marked."""
    from .tasks import push_unread_count_task

    with transaction.atomic():
        qs = Notification.objects.filter(recipient=user)
        if before is not None:
            qs = qs.filter(activity_id__lte=before)
        closed = _close(qs)
        if closed:
            UnreadCounter.objects.filter(user=user).update(
                unread=Greatest(F("unread") - len(closed), Value(0))
            )
            push_unread_count_task.delay_on_commit(user.pk)
    return len(closed)


def preferences_update(
    *,
    user: User,
    channels: Mapping[str, str] | None = None,
    muted_streams: Collection[str] | None = None,
    digest_frequency: str | None = None,
    quiet_hours: tuple[dt.time | None, dt.time | None] | None = None,
) -> None:
    """Replace the parts of a person's preferences that are given; the rest stay as they are."""
    with transaction.atomic():
        if channels:
            NotificationPreference.objects.bulk_create(
                [NotificationPreference(user=user, reason=r, channel=c) for r, c in channels.items()],
                update_conflicts=True,
                unique_fields=["user", "reason"],
                update_fields=["channel"],
            )
        if muted_streams is not None:
            NotificationMute.objects.filter(user=user).exclude(stream__in=list(muted_streams)).delete()
            NotificationMute.objects.bulk_create(
                [NotificationMute(user=user, stream=s) for s in muted_streams], ignore_conflicts=True
            )
        if digest_frequency is not None or quiet_hours is not None:
            row, _ = NotificationSettings.objects.get_or_create(user=user)
            fields = []
            if digest_frequency is not None:
                row.digest_frequency = digest_frequency
                fields.append("digest_frequency")
            if quiet_hours is not None:
                row.quiet_start, row.quiet_end = quiet_hours
                fields += ["quiet_start", "quiet_end"]
            row.save(update_fields=fields)


def notification_mute(*, user: User, stream: str) -> None:
    """No more notifications about `stream` for `user` (idempotent)."""
    NotificationMute.objects.bulk_create([NotificationMute(user=user, stream=stream)], ignore_conflicts=True)


def channel_set(*, user: User, reason: str, channel: str) -> None:
    """Choose how `user` hears about `reason`."""
    preferences_update(user=user, channels={reason: channel})


def unsubscribe_apply(*, user_id: int, reason: str | None = None, stream: str | None = None) -> str:
    """Honour a signed unsubscribe link; returns what was turned off, in words. Idempotent.

    `reason="digest"` stops digests; another reason drops to in-app only; a stream is muted.
    """
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return "nothing"
    if stream:
        notification_mute(user=user, stream=stream)
        return f"notifications about {stream}"
    if reason == "digest":
        preferences_update(user=user, digest_frequency=DigestFrequency.NEVER)
        return "email digests"
    if reason in Reason.values:
        channel_set(user=user, reason=reason, channel=Channel.IN_APP)
        return f"emails when: {Reason(reason).label.lower()}"
    return "nothing"


def notifications_close_invisible(*, streams: Collection[str] = (), user_ids: Collection[int] = ()) -> int:
    """After access changed, mark read the unread notifications their recipients may no longer see.

    Keeps the unread counter equal to what the bell can show: a notification about a record one
    lost access to stops counting at once (and stays read if access comes back). Looks only at
    notifications about `streams` and those of `user_ids`. Returns how many were closed.
    """
    from apps.activity import registry
    from apps.activity.models import ActivityStream

    from .tasks import push_unread_count_task

    unread = Notification.objects.filter(unread=True)
    candidates = unread.none()
    if streams:
        about = ActivityStream.objects.filter(stream__in=list(streams)).values("activity_id")
        candidates |= unread.filter(activity_id__in=about)
    if user_ids:
        candidates |= unread.filter(recipient_id__in=list(user_ids))
    rows = list(candidates.select_related("activity", "recipient"))
    by_user: dict[int, list[Notification]] = {}
    for n in rows:
        by_user.setdefault(n.recipient_id, []).append(n)
    closed_total = 0
    for rows_of_user in by_user.values():
        recipient = rows_of_user[0].recipient
        visible = {a.pk for a in registry.visible_activities(recipient, [n.activity for n in rows_of_user])}
        hidden = [n.pk for n in rows_of_user if n.activity_id not in visible]
        if not hidden:
            continue
        with transaction.atomic():
            closed = _close(Notification.objects.filter(pk__in=hidden))
            if closed:
                UnreadCounter.objects.filter(user_id=recipient.pk).update(
                    unread=Greatest(F("unread") - len(closed), Value(0))
                )
                push_unread_count_task.delay_on_commit(recipient.pk)
        closed_total += len(closed)
    return closed_total
