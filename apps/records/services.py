"""Record writes. Every change goes through here and emits exactly one activity."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q

from apps.accounts.models import User
from apps.activity import registry
from apps.activity.services import ObjectRef, activity_publish, follow_auto
from apps.activity.tracking import Change, apply_changes
from apps.activity.verbs import Source, Verb
from apps.social.models import Group

from . import access
from .models import Brief, Client, Deal, RecordShare, TrackedRecord

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
        follow_auto(user_ids=[record.owner_id], stream=record.stream_key, rule="own")
        follow_auto(user_ids=[actor.pk], stream=record.stream_key, rule="create")
    return record


def client_create(*, actor: User, data: Mapping[str, Any], source: str = Source.WEB) -> Client:
    """Create a client; its owner and creator follow it (per their auto-follow rules). Emits `Create`."""
    return _record_create(Client, actor=actor, data=data, source=source)


def brief_create(*, actor: User, data: Mapping[str, Any], source: str = Source.WEB) -> Brief:
    """Create a brief under a client (written to the client's stream too); its owner and creator
    follow it (per their auto-follow rules). Emits `Create`."""
    return _record_create(Brief, actor=actor, data=data, source=source)


def deal_create(*, actor: User, data: Mapping[str, Any], source: str = Source.WEB) -> Deal:
    """Create a deal under a client (written to the client's stream too); its owner and creator
    follow it (per their auto-follow rules). Emits `Create`."""
    return _record_create(Deal, actor=actor, data=data, source=source)


def record_update(*, record: R, actor: User, data: Mapping[str, Any], source: str = Source.WEB) -> R:
    """Apply `data` to a record and emit one `Update` carrying the tracked changes.

    Locks the row so concurrent updates diff against what they overwrite. Untracked or
    unchanged fields are saved silently. A new owner starts following the record (their `own`
    auto-follow rule permitting); a brief's or deal's `Update` is also written to its client's stream.
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
            parent = current.parent
            activity_publish(
                actor=actor,
                verb=Verb.UPDATE,
                obj=record_ref(current),
                summary=change_summary(actor, current, changes),
                changes=changes,
                # Roll-up: a brief's or deal's changes are also on its client's stream, so the
                # client's followers (and its record page) see them.
                streams=[parent.stream_key] if parent else (),
                source=source,
            )
        if "owner" in updated:
            follow_auto(user_ids=[current.owner_id], stream=current.stream_key, rule="own")
            _access_changed(current)
    return current


def _grantee_names(users: Sequence[User], groups: Sequence[Group]) -> str:
    names = [u.display_name for u in users] + [g.name for g in groups]
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]


def _access_changed(record: TrackedRecord) -> None:
    """After commit, tell open sockets on the record (and its briefs and deals) to re-check access."""
    streams = [record.stream_key]
    if isinstance(record, Client):
        for model in access.CHILD_MODELS:
            streams += [
                f"{model.stream_prefix}:{pk}"
                for pk in model.objects.filter(client=record).values_list("pk", flat=True)
            ]
    transaction.on_commit(lambda: registry.access_changed(streams=streams, user_ids=[]))


def record_visibility_set(*, record: R, actor: User, visibility: str, source: str = Source.WEB) -> R:
    """Make a record company-wide, private or (briefs and deals) like its client.

    Only its owner or an admin may; emits `Update` with the visibility change, which everyone who
    could see the record before or after may see in its feed.
    """
    if not access.can_manage(record, actor):
        raise PermissionDenied("Only the record's owner or an admin can change who sees it.")
    model = type(record)
    with transaction.atomic():
        current = model.objects.select_for_update().get(pk=record.pk)
        if current.visibility == visibility:
            return current
        old_value, old = current.visibility, current.get_visibility_display()
        current.visibility = visibility
        current.full_clean()
        current.save(update_fields=["visibility", "updated_at"])
        new = current.get_visibility_display()
        activity_publish(
            actor=actor,
            verb=Verb.UPDATE,
            obj=record_ref(current),
            summary=f"{actor.display_name} made {current} visible to: {new.lower()}",
            changes=[Change("visibility", "Visibility", old_value, visibility, old, new)],
            source=source,
        )
        _access_changed(current)
    return current


def record_share(
    *,
    record: R,
    actor: User,
    users: Sequence[User] = (),
    groups: Sequence[Group] = (),
    source: str = Source.WEB,
) -> list[RecordShare]:
    """Share a record with people and groups; existing shares are kept. Emits `Add` on the record.

    Sharing widens who may see a private record (a company-wide record is visible anyway, but its
    shares are remembered for when it becomes private). Returns the shares created.
    """
    if not access.can_manage(record, actor):
        raise PermissionDenied("Only the record's owner or an admin can share it.")
    with transaction.atomic():
        existing = RecordShare.objects.filter(record_type=record.stream_prefix, record_id=record.pk)
        have_users = set(existing.filter(user__isnull=False).values_list("user_id", flat=True))
        have_groups = set(existing.filter(group__isnull=False).values_list("group_id", flat=True))
        new_users = [u for u in dict.fromkeys(users) if u.pk not in have_users]
        new_groups = [g for g in dict.fromkeys(groups) if g.pk not in have_groups]
        if not new_users and not new_groups:
            return []
        shares = RecordShare.objects.bulk_create(
            [
                RecordShare(record_type=record.stream_prefix, record_id=record.pk, user=u, created_by=actor)
                for u in new_users
            ]
            + [
                RecordShare(record_type=record.stream_prefix, record_id=record.pk, group=g, created_by=actor)
                for g in new_groups
            ]
        )
        activity_publish(
            actor=actor,
            verb=Verb.ADD,
            obj=record_ref(record),
            summary=f"{actor.display_name} shared {record} with {_grantee_names(new_users, new_groups)}",
            payload={"shared_with": _grantees_json(new_users, new_groups)},
            source=source,
        )
        _access_changed(record)
    return shares


def record_unshare(
    *,
    record: R,
    actor: User,
    users: Sequence[User] = (),
    groups: Sequence[Group] = (),
    source: str = Source.WEB,
) -> int:
    """Stop sharing a record with people and groups. Emits `Remove` on the record; returns shares removed.

    Open websockets of people who lost access stop receiving the record's items (README, "Visibility").
    """
    if not access.can_manage(record, actor):
        raise PermissionDenied("Only the record's owner or an admin can unshare it.")
    with transaction.atomic():
        shares = RecordShare.objects.filter(record_type=record.stream_prefix, record_id=record.pk).filter(
            Q(user__in=[u.pk for u in users]) | Q(group__in=[g.pk for g in groups])
        )
        removed = list(shares.select_related("user", "group"))
        if not removed:
            return 0
        shares.delete()
        gone_users = [s.user for s in removed if s.user_id]
        gone_groups = [s.group for s in removed if s.group_id]
        activity_publish(
            actor=actor,
            verb=Verb.REMOVE,
            obj=record_ref(record),
            summary=f"{actor.display_name} stopped sharing {record} with "
            + _grantee_names(gone_users, gone_groups),
            payload={"unshared_with": _grantees_json(gone_users, gone_groups)},
            source=source,
        )
        _access_changed(record)
    return len(removed)


def _grantees_json(users: Sequence[User], groups: Sequence[Group]) -> list[dict]:
    return [{"type": "user", "id": u.pk, "name": u.display_name} for u in users] + [
        {"type": "group", "id": g.pk, "name": g.name} for g in groups
    ]
