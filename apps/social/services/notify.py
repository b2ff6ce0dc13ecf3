"""Telling people about social activities: the one place social raises notifications."""

from __future__ import annotations

from collections.abc import Iterable

from apps.accounts.models import User
from apps.activity import registry
from apps.activity.models import Activity, Follow
from apps.notifications.models import NotificationMute
from apps.notifications.services import notify


def tell(
    *,
    reason: str,
    user_ids: Iterable[int | None],
    activity: Activity,
    target: str | None = None,
    thread_mute: bool = False,
    thread: str | None = None,
) -> set[int]:
    """Notify those of `user_ids` who are active and may see `activity`, for `reason`.

    Visibility goes through the registry, as fan-out's does. Call it in the transaction that
    publishes the activity: it commits before the activity's fan-out runs, so this personal reason
    is the one a person gets (one notification per activity). With `thread_mute`, people who
    muted the thread are skipped too: the `target` thread, or `thread` when the target is a part
    of it (a comment), where a notification mute of that thread also counts. Returns who was
    considered (before preferences).
    """
    ids = {uid for uid in user_ids if uid is not None and uid != activity.actor_id}
    if not ids:
        return set()
    active = set(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    allowed = registry.users_who_can_see(activity, active) if active else set()
    muted_thread = thread or target
    if thread_mute and muted_thread and allowed:
        allowed -= set(
            Follow.objects.filter(stream=muted_thread, user_id__in=allowed, muted=True).values_list(
                "user_id", flat=True
            )
        )
    if thread_mute and thread and thread != target and allowed:
        # `notify` honours notification mutes of the target only.
        allowed -= set(
            NotificationMute.objects.filter(stream=thread, user_id__in=allowed).values_list(
                "user_id", flat=True
            )
        )
    if allowed:
        notify(recipients=allowed, reason=reason, activity=activity, target=target)
    return allowed
