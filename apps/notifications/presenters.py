"""One JSON shape for a notification, shared by REST, websocket pushes and emails (primitives only)."""

from __future__ import annotations

from typing import Any

from apps.activity import registry
from apps.activity.presenters import activity_to_dict, person_to_dict

from .models import Notification
from .reasons import Reason

_VERB_PHRASES: dict[str, str] = {
    Reason.RECORD_CHANGED: "updated {target}",
    Reason.ASSIGNED: "made you the owner of {target}",
    Reason.MENTIONED: "mentioned you in {target}",
    Reason.COMMENTED: "commented on {target}",
    Reason.LIKED: "liked {target}",
    Reason.GROUP_ADDED: "added you to {target}",
    Reason.BEST_ANSWER: "chose your answer in {target}",
    Reason.POLL_CLOSED: "closed the poll {target}",
    Reason.JOIN_REQUESTED: "asked to join {target}",
}
# Where the kind of thing a notification is about changes the words.
_KIND_PHRASES: dict[tuple[str, str], str] = {
    (Reason.LIKED, "comment"): "liked your comment “{target}”",
}


def notification_title(notification: Notification) -> str:
    """ "Dana Morgan and 3 others liked ACME rebrand"; a single actor keeps the activity's own summary."""
    activity = notification.activity
    # "Ann posted" does not say why it concerns me; a mention says so whoever wrote it.
    if notification.actor_count <= 1 and activity.summary and notification.reason != Reason.MENTIONED:
        return activity.summary
    who = notification.actor.display_name if notification.actor else "feedhub"
    others = notification.actor_count - 1
    if others == 1:
        who = f"{who} and 1 other"
    elif others > 1:
        who = f"{who} and {others} others"
    name = activity.object_name if activity.object_stream == notification.target else activity.target_name
    kind = registry.split_stream(notification.target)[0]
    phrase = _KIND_PHRASES.get((notification.reason, kind)) or _VERB_PHRASES.get(
        notification.reason, "updated {target}"
    )
    return f"{who} {phrase.format(target=name or notification.target)}"


def _url(notification: Notification) -> str:
    """The target's page; for a target with none (a comment), the page of what it belongs to."""
    activity = notification.activity
    url = registry.stream_url(notification.target)
    if not url and activity.target_type:
        url = registry.stream_url(f"{activity.target_type}:{activity.target_id}")
    return url


def notification_to_dict(notification: Notification) -> dict[str, Any]:
    """Serialize a notification loaded with `activity__actor` and `actor` (see selectors)."""
    return {
        "id": notification.pk,
        "reason": notification.reason,
        "unread": notification.unread,
        "title": notification_title(notification),
        "target": notification.target,
        "url": _url(notification),
        "actor": person_to_dict(notification.actor),
        "actor_count": notification.actor_count,
        "activity": activity_to_dict(notification.activity),
        "created_at": notification.created_at.isoformat(),
        "updated_at": notification.updated_at.isoformat(),
    }
