"""The AS2 shape of an activity as integrations see it, built on the shared feed shape."""

from __future__ import annotations

from typing import Any

from apps.activity.models import Activity
from apps.activity.presenters import activity_to_dict

from .as2 import AS2_CONTEXT, CHANGES_PROPERTY
from .models import IntegrationApp


def event_path(activity_id: int) -> str:
    return f"/api/v1/events/{activity_id}/"


def _as2_ref(ref: dict[str, Any] | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    return {"type": ref["type"], "id": f"feedhub:{ref['stream']}", "name": ref["name"], "url": ref["url"]}


def activity_to_as2(activity: Activity, integration: IntegrationApp) -> dict[str, Any]:
    """An activity (actor loaded) as AS2 JSON. `id` is a path; views make it absolute."""
    data = activity_to_dict(activity)
    person = data["actor"]
    if person is not None:
        actor = {"type": "Person", "id": f"feedhub:user:{person['id']}", "name": person["name"]}
    else:
        actor = {
            "type": "Application",
            "id": f"feedhub:integration:{integration.pk}",
            "name": integration.name,
        }
    body: dict[str, Any] = {
        "@context": AS2_CONTEXT,
        "id": event_path(activity.pk),
        "type": data["type"],
        "actor": actor,
        "object": _as2_ref(data["object"]),
        "published": data["published"],
        "summary": data["summary"],
        CHANGES_PROPERTY: [{k: c[k] for k in ("field", "old", "new")} for c in data["changes"]],
        "feedhub:activity": activity.pk,
    }
    if data["target"]:
        body["target"] = _as2_ref(data["target"])
    if data["content"] is not None:
        body["content"] = data["content"]
    as2 = activity.payload.get("as2", {})
    body.update(as2.get("extras", {}))
    if activity.idempotency_key:
        body["feedhub:idempotencyKey"] = activity.idempotency_key
    return body
