"""Who may see a record: the one place the rules live (README, "Visibility").

A record is visible to everyone when its visibility is `company` (or `inherit` under a company-wide
client). Otherwise it is visible to admins, its owner, the people and members of the groups it is
shared with, and, for an `inherit` brief or deal, whoever may see its client. Every read path asks
through the activity registry, which calls these predicates in bulk (one query per page and kind).
"""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import Q, QuerySet

from apps.accounts.models import User
from apps.social.models import Membership

from .models import Brief, Client, Deal, RecordShare, TrackedRecord, Visibility

CHILD_MODELS: tuple[type[TrackedRecord], ...] = (Brief, Deal)


def is_admin(user: User) -> bool:
    return bool(user.is_active and user.is_staff)


def _shared_ids(prefix: str, viewer: User) -> QuerySet:
    groups = Membership.objects.filter(user_id=viewer.pk).values("group_id")
    return (
        RecordShare.objects.filter(record_type=prefix)
        .filter(Q(user_id=viewer.pk) | Q(group_id__in=groups))
        .values("record_id")
    )


def _own_q(prefix: str, viewer: User, path: str = "") -> Q:
    return (
        Q(**{f"{path}visibility": Visibility.COMPANY})
        | Q(**{f"{path}owner_id": viewer.pk})
        | Q(**{f"{path}pk__in": _shared_ids(prefix, viewer)})
    )


def visible_q(model: type[TrackedRecord], viewer: User) -> Q | None:
    """A filter for `model` rows the viewer may see; None when they may see every row (admins)."""
    if is_admin(viewer):
        return None
    q = _own_q(model.stream_prefix, viewer)
    if model is not Client:
        q |= Q(visibility=Visibility.INHERIT) & _own_q(Client.stream_prefix, viewer, "client__")
    return q


def visible(qs: QuerySet, viewer: User) -> QuerySet:
    """Narrow a queryset of records to those the viewer may see."""
    q = visible_q(qs.model, viewer)
    return qs if q is None else qs.filter(q)


def visible_ids(model: type[TrackedRecord], viewer: User, object_ids: Collection[str]) -> set[str]:
    ids = [int(i) for i in object_ids if str(i).isdigit()]
    if not ids:
        return set()
    qs = visible(model.objects.filter(pk__in=ids), viewer)
    return {str(pk) for pk in qs.values_list("pk", flat=True)}


def audience(record: TrackedRecord) -> set[int] | None:
    """Everyone (None) or the ids of the non-admin people who may see `record`."""
    if record.visibility == Visibility.COMPANY:
        return None
    parent: set[int] | None = set()
    if record.visibility == Visibility.INHERIT:
        parent = audience(record.client)
        if parent is None:
            return None
    shares = RecordShare.objects.filter(record_type=record.stream_prefix, record_id=record.pk)
    users = set(shares.filter(user__isnull=False).values_list("user_id", flat=True))
    groups = shares.filter(group__isnull=False).values("group_id")
    users |= set(Membership.objects.filter(group_id__in=groups).values_list("user_id", flat=True))
    return {record.owner_id, *users, *parent}


def users_who_can_see(record: TrackedRecord | None, user_ids: Collection[int]) -> set[int]:
    """Those of `user_ids` who may see `record` (none, if it no longer exists)."""
    if record is None:
        return set()
    allowed = audience(record)
    if allowed is None:
        return set(user_ids)
    rest = [uid for uid in user_ids if uid not in allowed]
    admins = set(User.objects.filter(pk__in=rest, is_active=True, is_staff=True).values_list("pk", flat=True))
    return {uid for uid in user_ids if uid in allowed or uid in admins}


def can_manage(record: TrackedRecord, user: User) -> bool:
    """May `user` change who sees `record`? Its owner and admins may."""
    return record.owner_id == user.pk or is_admin(user)
