"""Record writes. Every change goes through here and emits exactly one activity."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from django.db import transaction

from apps.accounts.models import User
from apps.activity.services import ObjectRef, activity_publish, follow_ensure
from apps.activity.tracking import Change, apply_changes
from apps.activity.verbs import Source, Verb

from .models import Brief, Client, Deal, TrackedRecord

R = TypeVar("R", bound=TrackedRecord)


def record_ref(record: TrackedRecord) -> ObjectRef:
    return ObjectRef(type=record.stream_prefix, id=str(record.pk), name=record.display_name)


def change_summary(actor: User | None, record: TrackedRecord, changes: Sequence[Change]) -> str:
    """A sentence a person would write: "Ann Lee moved ACME rebrand from Proposal to Negotiation"."""
    who = actor.display_name if actor else "feedhub"
    if len(changes) == 1:
        c = changes[0]
        if c.field in ("stage", "status"):
            return f"{who} moved {record} from {c.old_display} to {c.new_display}"
        if c.field == "owner":
            return f"{who} made {c.new_display} the owner of {record}"
        return f"{who} changed {c.label.lower()} of {record} from {c.old_display} to {c.new_display}"
    labels = ", ".join(c.label.lower() for c in changes)
    return f"{who} updated {labels} of {record}"


def _record_create(model: type[R], *, actor: User, data: Mapping[str, Any], source: str = Source.WEB) -> R:
    with transaction.atomic():
        record = model(**{"owner": actor, **data})
        record.full_clean()
        record.save()
        parent = record.parent
        activity_publish(
            actor=actor,
            verb=Verb.CREATE,
            obj=record_ref(record),
            target=record_ref(parent) if parent else None,
            summary=f"{actor.display_name} created {model._meta.verbose_name} {record}",
            source=source,
        )
        follow_ensure(user=record.owner, stream=record.stream_key)
        if actor.pk != record.owner_id:
            follow_ensure(user=actor, stream=record.stream_key)
    return record


def client_create(*, actor: User, data: Mapping[str, Any], source: str = Source.WEB) -> Client:
    """Create a client; its owner (and creator) follow it. Emits `Create`."""
    return _record_create(Client, actor=actor, data=data, source=source)


def brief_create(*, actor: User, data: Mapping[str, Any], source: str = Source.WEB) -> Brief:
    """Create a brief under a client; its owner (and creator) follow it. Emits `Create`."""
    return _record_create(Brief, actor=actor, data=data, source=source)


def deal_create(*, actor: User, data: Mapping[str, Any], source: str = Source.WEB) -> Deal:
    """Create a deal under a client; its owner (and creator) follow it. Emits `Create`."""
    return _record_create(Deal, actor=actor, data=data, source=source)


def record_update(*, record: R, actor: User, data: Mapping[str, Any], source: str = Source.WEB) -> R:
    """Apply `data` to a record and emit one `Update` carrying the tracked changes.

    Locks the row so concurrent updates diff against what they overwrite. Untracked or
    unchanged fields are saved silently. A new owner starts following the record.
    """
    model = type(record)
    with transaction.atomic():
        current = model.objects.select_for_update().get(pk=record.pk)
        updated, changes = apply_changes(current, data, model.tracked_fields)
        if not updated:
            return current
        current.full_clean()
        current.save(update_fields=[*updated, "updated_at"])
        if changes:
            activity_publish(
                actor=actor,
                verb=Verb.UPDATE,
                obj=record_ref(current),
                summary=change_summary(actor, current, changes),
                changes=changes,
                source=source,
            )
        if "owner" in updated:
            follow_ensure(user=current.owner, stream=current.stream_key)
    return current
