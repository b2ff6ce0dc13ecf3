"""Telling people about social activities: the one place social raises notifications."""

from __future__ import annotations

from collections.abc import Iterable

from apps.accounts.models import User
from apps.activity import registry
from apps.activity.models import Activity, Follow
from apps.notifications.services import notify


def tell(
    *,
    reason: str,
    user_ids: Iterable[int | None],
    activity: Activity,
    target: str | None = None,
    thread_mute: bool = False,
) -> set[int]:
    """Notify those of `user_ids` who are active and may see `activity`, for `reason`.

    Visibility goes through the registry, as fan-out's does. Call it in the transaction that
    publishes the activity: it commits before the activity's fan-out runs, so this personal reason
    is the one a person gets (one notification per activity). With `thread_mute`, people who
    muted the `target` thread are skipped too. Returns who was considered (before preferences).
    """
    ids = {uid for uid in user_ids if uid is not None and uid != activity.actor_id}
    if not ids:
        return set()
    active = set(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    allowed = registry.users_who_can_see(activity, active) if active else set()
    if thread_mute and target and allowed:
        allowed -= set(
            Follow.objects.filter(stream=target, user_id__in=allowed, muted=True).values_list(
                "user_id", flat=True
            )
        )
    if allowed:
        notify(recipients=allowed, reason=reason, activity=activity, target=target)
    return allowed
