"""Declared feed tracking: diff a model's tracked fields and describe the change."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from django.db import models


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    old: Any
    new: Any
    old_display: str
    new_display: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _json_value(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def _display(instance: models.Model, field: models.Field, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, models.Model):
        return getattr(value, "display_name", None) or str(value)
    return str(value)


def apply_changes(
    instance: models.Model, data: Mapping[str, Any], tracked: Iterable[str]
) -> tuple[list[str], list[Change]]:
    """Set `data` on `instance`; return the fields that changed and the tracked changes.

    Unchanged values are ignored, so a PATCH that repeats current values emits nothing.
    """
    tracked = set(tracked)
    updated: list[str] = []
    changes: list[Change] = []
    for name, new in data.items():
        field = instance._meta.get_field(name)
        old = getattr(instance, name)
        if isinstance(field, models.DecimalField) and new is not None:
            # Same scale as the column, so "120000" and "120000.00" are one value and one display.
            new = decimal.Decimal(new).quantize(decimal.Decimal(1).scaleb(-field.decimal_places))
        if _json_value(old) == _json_value(new):
            continue
        setattr(instance, name, new)
        updated.append(name)
        if name in tracked:
            changes.append(
                Change(
                    field=name,
                    label=str(field.verbose_name).capitalize(),
                    old=_json_value(old),
                    new=_json_value(new),
                    old_display=_display(instance, field, old),
                    new_display=_display(instance, field, new),
                )
            )
    return updated, changes
