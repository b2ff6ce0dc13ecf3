"""The filters shared by the analytics API and the dashboard: period, subject type, team and group."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import Http404
from rest_framework import serializers

from apps.accounts.models import User
from apps.activity import registry

from .records import RECORD_TYPES, access_manager, team_member_ids, team_streams
from .selectors import Scope, today

PERIODS = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}
DEFAULT_PERIOD = "30d"
MAX_DAYS = 366
# `person` is the public name of the `user` kind; `record` is every record kind at once.
TYPES: dict[str, tuple[str, ...]] = {
    "record": RECORD_TYPES,
    "client": ("client",),
    "brief": ("brief",),
    "deal": ("deal",),
    "person": ("user",),
    "group": ("group",),
    "topic": ("topic",),
}


class AnalyticsQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(
        choices=list(PERIODS), required=False, help_text="The last 7, 30, 90 or 365 days up to today (UTC)."
    )
    since = serializers.DateField(required=False, help_text="First day (YYYY-MM-DD), with `until`.")
    until = serializers.DateField(required=False, help_text="Last day, inclusive (YYYY-MM-DD).")
    type = serializers.ChoiceField(
        choices=list(TYPES), required=False, help_text="Only subjects of this kind."
    )
    department = serializers.CharField(
        required=False, max_length=120, help_text="Team: the people of a department and the records they own."
    )
    manager = serializers.IntegerField(
        required=False, min_value=1, help_text="Team: a manager's direct reports and the records they own."
    )
    group = serializers.IntegerField(
        required=False, min_value=1, help_text="Only what happened in this group."
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=10)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "period" in attrs and ("since" in attrs or "until" in attrs):
            raise serializers.ValidationError({"period": "Give either period or since/until, not both."})
        if ("since" in attrs) != ("until" in attrs):
            missing = "until" if "since" in attrs else "since"
            raise serializers.ValidationError({missing: "Give both since and until."})
        if "since" in attrs:
            if attrs["since"] > attrs["until"]:
                raise serializers.ValidationError({"until": "Must not be before since."})
            if (attrs["until"] - attrs["since"]).days + 1 > MAX_DAYS:
                raise serializers.ValidationError({"since": f"A period is at most {MAX_DAYS} days."})
        return attrs


def scope_build(*, viewer: User, query: dict[str, Any]) -> Scope:
    """Turn validated query parameters into a Scope. Raises Http404 for a group or manager the
    viewer may not see (an invisible object is not found, never forbidden)."""
    if "since" in query:
        since, until = query["since"], query["until"]
    else:
        until = today()
        since = until - timedelta(days=PERIODS[query.get("period") or DEFAULT_PERIOD] - 1)
    types = TYPES[query["type"]] if query.get("type") else None
    subjects = None
    if query.get("department") is not None or query.get("manager") is not None:
        manager = access_manager(viewer=viewer, pk=query["manager"]) if query.get("manager") else None
        members = team_member_ids(department=query.get("department"), manager=manager)
        subjects = team_streams(member_ids=members, types=types)
    context = None
    if query.get("group"):
        context = f"group:{query['group']}"
        kind = registry.kind_for("group")
        if kind is None or str(query["group"]) not in kind.visible_object_ids(viewer, [str(query["group"])]):
            raise Http404
    return Scope(since=since, until=until, subject_types=types, subjects=subjects, context=context)
