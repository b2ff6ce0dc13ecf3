"""Activity Streams 2.0 input: validate an integration's JSON into typed values, with JSON paths in errors.

Pure: no database access. Resolving references to users, records and external objects happens
in `services.events`, in bulk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from apps.activity.tracking import Change

AS2_CONTEXT = "https://www.w3.org/ns/activitystreams"
FEEDHUB_PREFIX = "feedhub:"
CHANGES_PROPERTY = "feedhub:changes"

_VERB = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,63}$")
_FEEDHUB_REF = re.compile(r"^feedhub:([a-z][a-z0-9_]{0,31}):([A-Za-z0-9_.:-]{1,64})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EXTERNAL_ID = 200
MAX_CONTENT = 20_000
MAX_CHANGES = 100
MAX_AUDIENCE = 50


class InvalidActivityError(Exception):
    """The input is not an acceptable activity; `fields` maps JSON paths to messages."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__(fields)
        self.fields = fields


@dataclass(frozen=True)
class Ref:
    """A referenced object: a feedhub stream (`kind`, `id`) or an integration's own id (`external_id`)."""

    path: str
    kind: str = ""
    id: str = ""
    external_id: str = ""
    type: str = ""
    name: str = ""

    @property
    def is_feedhub(self) -> bool:
        return bool(self.kind)


@dataclass(frozen=True)
class ActorRef:
    """A feedhub user by id or email; neither means the integration itself acts."""

    user_id: int | None = None
    email: str = ""
    raw: Any = None


@dataclass(frozen=True)
class ParsedActivity:
    verb: str
    actor: ActorRef
    object: Ref
    target: Ref | None
    as2_id: str | None
    published: datetime | None
    summary: str
    content: str | None
    changes: list[Change]
    audience: list[Ref]
    extras: dict[str, Any] = field(default_factory=dict)


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.fields.setdefault(path, []).append(message)


def _string(value: Any, path: str, errors: _Errors, *, max_length: int, required: bool = False) -> str:
    if value is None:
        if required:
            errors.add(path, "This field is required.")
        return ""
    if not isinstance(value, str):
        errors.add(path, "Must be a string.")
        return ""
    if required and not value.strip():
        errors.add(path, "May not be blank.")
    if len(value) > max_length:
        errors.add(path, f"At most {max_length} characters.")
        return ""
    return value


def _ref(value: Any, path: str, errors: _Errors) -> Ref | None:
    if isinstance(value, str):
        value = {"id": value}
    if not isinstance(value, dict):
        errors.add(path, "Must be an object or an id string.")
        return None
    ident = value.get("id")
    if not isinstance(ident, str) or not ident:
        errors.add(
            f"{path}.id", "This field is required." if ident is None else "Must be a non-empty string."
        )
        return None
    obj_type = value.get("type", "")
    obj_type = obj_type if isinstance(obj_type, str) else ""
    name = _string(value.get("name"), f"{path}.name", errors, max_length=255)
    if ident.startswith(FEEDHUB_PREFIX):
        match = _FEEDHUB_REF.match(ident)
        if match is None:
            errors.add(
                f"{path}.id", "A feedhub reference looks like feedhub:<kind>:<id>, e.g. feedhub:deal:42."
            )
            return None
        return Ref(path=path, kind=match[1], id=match[2], type=obj_type[:32], name=name)
    if len(ident) > MAX_EXTERNAL_ID:
        errors.add(f"{path}.id", f"At most {MAX_EXTERNAL_ID} characters.")
        return None
    return Ref(path=path, external_id=ident, type=obj_type[:32], name=name)


def _actor(value: Any, errors: _Errors) -> ActorRef:
    if value is None:
        errors.add("actor", "This field is required.")
        return ActorRef()
    if isinstance(value, str):
        value = {"id": value}
    if not isinstance(value, dict):
        errors.add("actor", "Must be an object or an id string.")
        return ActorRef()
    ident = value.get("id") if isinstance(value.get("id"), str) else ""
    if ident.startswith("feedhub:"):
        match = _FEEDHUB_REF.match(ident)
        if match is None or match[1] != "user" or not match[2].isdigit():
            errors.add("actor.id", "A feedhub actor looks like feedhub:user:<id>.")
            return ActorRef()
        return ActorRef(user_id=int(match[2]), raw=value)
    email = value.get("email")
    if email is None and ident.startswith("mailto:"):
        email = ident.removeprefix("mailto:")
    if email is None and _EMAIL.match(ident):
        email = ident
    if email is not None:
        if not isinstance(email, str) or not _EMAIL.match(email):
            errors.add("actor.email", "Enter a valid email address.")
            return ActorRef()
        return ActorRef(email=email, raw=value)
    return ActorRef(raw=value)


def _changes(value: Any, errors: _Errors) -> list[Change]:
    path = CHANGES_PROPERTY
    if value is None:
        return []
    if not isinstance(value, list):
        errors.add(path, "Must be a list of {field, old, new}.")
        return []
    if len(value) > MAX_CHANGES:
        errors.add(path, f"At most {MAX_CHANGES} changes.")
        return []
    changes = []
    for index, item in enumerate(value):
        item_path = f"{path}.{index}"
        if not isinstance(item, dict):
            errors.add(item_path, "Must be an object with field, old and new.")
            continue
        name = _string(item.get("field"), f"{item_path}.field", errors, max_length=64, required=True)
        for side in ("old", "new"):
            if side not in item:
                errors.add(f"{item_path}.{side}", "This field is required (null is allowed).")
            elif isinstance(item[side], dict | list):
                errors.add(f"{item_path}.{side}", "Must be a string, number, boolean or null.")
        label = _string(item.get("label"), f"{item_path}.label", errors, max_length=100)
        if not name or not {"old", "new"} <= item.keys():
            continue
        old, new = item["old"], item["new"]
        changes.append(
            Change(
                field=name,
                label=label or name.replace("_", " ").capitalize(),
                old=old,
                new=new,
                old_display=_display(item.get("old_display"), old),
                new_display=_display(item.get("new_display"), new),
            )
        )
    return changes


def _display(given: Any, value: Any) -> str:
    if isinstance(given, str) and given:
        return given[:255]
    return "—" if value is None or value == "" else str(value)[:255]


def parse_activity(data: Any) -> ParsedActivity:
    """Validate one AS2 activity. Raises InvalidActivityError with every problem found, keyed by JSON path."""
    errors = _Errors()
    if not isinstance(data, dict):
        raise InvalidActivityError({"non_field_errors": ["An activity must be a JSON object."]})
    verb = _string(data.get("type"), "type", errors, max_length=64, required=True)
    if verb and not _VERB.match(verb):
        errors.add("type", "An AS2 type (Create, Update, …) or a namespaced verb such as deal.stage_changed.")
    actor = _actor(data.get("actor"), errors)
    obj = _ref(data.get("object"), "object", errors) if "object" in data else None
    if "object" not in data:
        errors.add("object", "This field is required.")
    target = _ref(data["target"], "target", errors) if data.get("target") is not None else None
    as2_id = data.get("id")
    if as2_id is not None and (not isinstance(as2_id, str) or not as2_id or len(as2_id) > 255):
        errors.add("id", "Must be a non-empty string of at most 255 characters.")
    published = None
    if data.get("published") is not None:
        raw = data["published"]
        published = parse_datetime(raw) if isinstance(raw, str) else None
        if published is None:
            errors.add("published", "Must be an ISO 8601 date-time, e.g. 2026-11-23T10:00:00Z.")
        elif published.tzinfo is None:
            errors.add("published", "Must carry a time zone offset (Z or ±hh:mm).")
            published = None
        else:
            published = published.astimezone(UTC)
    summary = _string(data.get("summary"), "summary", errors, max_length=500)
    content = _string(data.get("content"), "content", errors, max_length=MAX_CONTENT) or None
    changes = _changes(data.get(CHANGES_PROPERTY), errors)
    audience: list[Ref] = []
    for prop in ("to", "cc"):
        value = data.get(prop)
        if value is None:
            continue
        items = value if isinstance(value, list) else [value]
        if len(items) > MAX_AUDIENCE:
            errors.add(prop, f"At most {MAX_AUDIENCE} recipients.")
            continue
        for index, item in enumerate(items):
            ref = _ref(item, f"{prop}.{index}", errors)
            if ref is not None and ref.is_feedhub:
                audience.append(ref)
    extras = {k: data[k] for k in ("origin", "result", "tag", "to", "cc") if data.get(k) is not None}
    if errors.fields or obj is None:
        raise InvalidActivityError(errors.fields)
    return ParsedActivity(
        verb=verb,
        actor=actor,
        object=obj,
        target=target,
        as2_id=as2_id,
        published=published,
        summary=summary,
        content=content,
        changes=changes,
        audience=audience,
        extras=extras,
    )
