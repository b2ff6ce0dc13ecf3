"""One JSON shape for an activity, shared by REST feeds and websocket pushes (primitives only)."""

from __future__ import annotations

from typing import Any

from apps.accounts.models import User

from . import registry
from .models import Activity, Follow


def person_to_dict(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {
        "id": user.pk,
        "type": "Person",
        "username": user.username,
        "name": user.display_name,
        "title": user.title,
        "avatar": user.avatar.url if user.avatar else None,
        "url": f"/people/{user.pk}/",
    }


def follow_to_dict(follow: Follow) -> dict[str, Any]:
    return {
        "stream": follow.stream,
        "following": True,
        "verbs": follow.verbs,
        "muted": follow.muted,
        "include_related": follow.include_related,
    }


def _ref(kind: str, object_id: str, name: str) -> dict[str, Any] | None:
    if not kind:
        return None
    stream = f"{kind}:{object_id}"
    return {
        "type": kind,
        "id": object_id,
        "stream": stream,
        "name": name,
        "url": registry.stream_url(stream),
    }


def activity_to_dict(activity: Activity) -> dict[str, Any]:
    """Serialize an activity whose actor is already loaded (select_related)."""
    return {
        "id": activity.pk,
        "type": activity.verb,
        "actor": person_to_dict(activity.actor),
        "object": _ref(activity.object_type, activity.object_id, activity.object_name),
        "target": _ref(activity.target_type, activity.target_id, activity.target_name),
        "published": activity.published.isoformat(),
        "summary": activity.summary,
        "changes": activity.changes,
        "content": activity.payload.get("content"),
        # A comment names the activity it replies to, so a page can thread it under that item.
        "in_reply_to": activity.payload.get("in_reply_to"),
        "source": activity.source,
    }
