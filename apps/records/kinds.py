"""Registers clients, briefs and deals as followable kinds with the activity registry."""

from apps.activity import registry

from . import access
from .models import Brief, Client, Deal, TrackedRecord

RECORD_MODELS: dict[str, type[TrackedRecord]] = {m.stream_prefix: m for m in (Client, Brief, Deal)}
URL_SEGMENTS = {"client": "clients", "brief": "briefs", "deal": "deals"}


def record_url(prefix: str, object_id: str) -> str:
    return f"/{URL_SEGMENTS[prefix]}/{object_id}/"


def _visible_ids(model: type[TrackedRecord]):
    def visible(viewer, object_ids) -> set[str]:
        return access.visible_ids(model, viewer, object_ids)

    return visible


def _users_who_can_see(model: type[TrackedRecord]):
    def users(object_id: str, user_ids) -> set[int]:
        record = model.objects.filter(pk=int(object_id)).first() if object_id.isdigit() else None
        return access.users_who_can_see(record, user_ids)

    return users


def _name(model: type[TrackedRecord]):
    def name(object_id: str) -> str:
        record = model.objects.filter(pk=int(object_id)).first() if object_id.isdigit() else None
        return record.display_name if record else ""

    return name


# Briefs and deals roll up into their client's stream (`record_update`, `_record_create`).
ROLLED_UP_INTO: dict[type[TrackedRecord], tuple[str, ...]] = {
    Client: tuple(m.stream_prefix for m in access.CHILD_MODELS)
}


def register() -> None:
    for prefix, model in RECORD_MODELS.items():
        registry.register_kind(
            registry.StreamKind(
                prefix=prefix,
                label=str(model._meta.verbose_name).capitalize(),
                visible_object_ids=_visible_ids(model),
                users_who_can_see=_users_who_can_see(model),
                url=lambda object_id, prefix=prefix: record_url(prefix, object_id),
                name=_name(model),
                rolled_up_kinds=ROLLED_UP_INTO.get(model, ()),
            )
        )
