"""Record reads, always through the viewer's visibility."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from apps.accounts.models import User

from .models import TrackedRecord


def record_list(*, model: type[TrackedRecord], viewer: User) -> QuerySet:
    """Records of one kind the viewer may see."""
    qs = model.objects.select_related("owner")
    if hasattr(model, "client"):
        qs = qs.select_related("client")
    return qs


def access_record(*, model: type[TrackedRecord], viewer: User, pk: int) -> TrackedRecord:
    """Fetch a record the viewer may see, or raise 404 (never 403: it would confirm existence)."""
    record = record_list(model=model, viewer=viewer).filter(pk=pk).first()
    if record is None:
        raise Http404
    return record
