"""Record reads, always through the viewer's visibility."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from apps.accounts.models import User

from . import access
from .models import RecordShare, TrackedRecord


def record_list(*, model: type[TrackedRecord], viewer: User, q: str = "") -> QuerySet:
    """Records of one kind the viewer may see; with `q`, only those whose name (a brief's title)
    contains it, ignoring case."""
    qs = model.objects.select_related("owner")
    if q:
        name_field = "title" if model.stream_prefix == "brief" else "name"
        qs = qs.filter(**{f"{name_field}__icontains": q})
    if hasattr(model, "client"):
        qs = qs.select_related("client")
    return access.visible(qs, viewer)


def access_record(*, model: type[TrackedRecord], viewer: User, pk: int) -> TrackedRecord:
    """Fetch a record the viewer may see, or raise 404 (never 403: it would confirm existence)."""
    record = record_list(model=model, viewer=viewer).filter(pk=pk).first()
    if record is None:
        raise Http404
    return record


def share_list(*, record: TrackedRecord) -> list[RecordShare]:
    """Who a record is shared with, oldest share first."""
    return list(
        RecordShare.objects.filter(record_type=record.stream_prefix, record_id=record.pk)
        .select_related("user", "group")
        .order_by("pk")
    )
