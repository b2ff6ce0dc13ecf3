"""Display names and links of subjects, one query per kind for a whole list."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from apps.accounts.models import User
from apps.activity import registry
from apps.records.kinds import RECORD_MODELS
from apps.social.models import Group


def _digits(ids: Collection[str]) -> list[int]:
    return [int(i) for i in ids if i.isdigit()]


def _records(prefix: str) -> Callable[[Collection[str]], dict[str, str]]:
    def names(ids: Collection[str]) -> dict[str, str]:
        return {str(r.pk): r.display_name for r in RECORD_MODELS[prefix].objects.filter(pk__in=_digits(ids))}

    return names


def _people(ids: Collection[str]) -> dict[str, str]:
    return {str(u.pk): u.display_name for u in User.objects.filter(pk__in=_digits(ids))}


def _groups(ids: Collection[str]) -> dict[str, str]:
    return {str(pk): name for pk, name in Group.objects.filter(pk__in=_digits(ids)).values_list("pk", "name")}


_BULK: dict[str, Callable[[Collection[str]], dict[str, str]]] = {
    **{prefix: _records(prefix) for prefix in RECORD_MODELS},
    "user": _people,
    "group": _groups,
    "topic": lambda slugs: {slug: f"#{slug}" for slug in slugs},
}


def subject_names(subjects: Iterable[str]) -> dict[str, tuple[str, str]]:
    """{subject: (display name, link)}; the stream key stands in for a name that cannot be found."""
    by_kind: dict[str, set[str]] = {}
    for subject in subjects:
        prefix, object_id = registry.split_stream(subject)
        by_kind.setdefault(prefix, set()).add(object_id)
    out: dict[str, tuple[str, str]] = {}
    for prefix, ids in by_kind.items():
        bulk = _BULK.get(prefix)
        kind = registry.kind_for(prefix)
        found = bulk(ids) if bulk else {i: kind.name(i) if kind else "" for i in ids}
        for object_id in ids:
            subject = f"{prefix}:{object_id}"
            out[subject] = (found.get(object_id) or subject, registry.stream_url(subject))
    return out
