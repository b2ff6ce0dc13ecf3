from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.accounts.models import User
from apps.activity.presenters import person_to_dict

from .. import access
from ..kinds import record_url
from ..models import Brief, Client, Deal, RecordShare, TrackedRecord, Visibility

_CLIENT_VISIBILITY = [(v.value, v.label) for v in (Visibility.COMPANY, Visibility.PRIVATE)]


class ClientInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    industry = serializers.CharField(max_length=100, required=False, allow_blank=True)
    tier = serializers.ChoiceField(choices=Client.Tier.choices, required=False)
    website = serializers.URLField(required=False, allow_blank=True)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    visibility = serializers.ChoiceField(
        choices=_CLIENT_VISIBILITY, required=False, help_text="company (everyone) or private."
    )


class _ChildInput(serializers.Serializer):
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.all())
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    visibility = serializers.ChoiceField(
        choices=Visibility.choices,
        required=False,
        help_text="inherit (like its client, the default), company (everyone) or private.",
    )

    def validate_client(self, client: Client) -> Client:
        viewer = self.context.get("viewer")
        if viewer is not None and not access.visible_ids(Client, viewer, [str(client.pk)]):
            # The same words as for an id that does not exist: a private client stays unconfirmed.
            raise serializers.ValidationError(f'Invalid pk "{client.pk}" - object does not exist.')
        return client


class BriefInput(_ChildInput):
    title = serializers.CharField(max_length=200)
    status = serializers.ChoiceField(choices=Brief.Status.choices, required=False)
    due_date = serializers.DateField(required=False, allow_null=True)
    revision = serializers.IntegerField(min_value=1, max_value=100000, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)


class DealInput(_ChildInput):
    name = serializers.CharField(max_length=200)
    stage = serializers.ChoiceField(choices=Deal.Stage.choices, required=False)
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, coerce_to_string=False
    )
    close_date = serializers.DateField(required=False, allow_null=True)


def record_to_dict(record: TrackedRecord, *, following: bool | None = None) -> dict[str, Any]:
    """A record's JSON: its fields, with choice labels, links and the viewer's follow state."""
    data: dict[str, Any] = {
        "id": record.pk,
        "type": record.stream_prefix,
        "name": record.display_name,
        "stream": record.stream_key,
        "url": record_url(record.stream_prefix, str(record.pk)),
        "owner": person_to_dict(record.owner),
        "visibility": record.visibility,
        "visibility_display": record.get_visibility_display(),
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
    }
    if following is not None:
        data["following"] = following
    if isinstance(record, Client):
        data.update(industry=record.industry, tier=record.tier, website=record.website)
        data["tier_display"] = record.get_tier_display()
    else:
        data["client"] = {"id": record.client_id, "name": record.client.name}
    if isinstance(record, Brief):
        data.update(
            title=record.title,
            status=record.status,
            status_display=record.get_status_display(),
            due_date=record.due_date.isoformat() if record.due_date else None,
            revision=record.revision,
            description=record.description,
        )
    if isinstance(record, Deal):
        data.update(
            stage=record.stage,
            stage_display=record.get_stage_display(),
            amount=str(record.amount),
            close_date=record.close_date.isoformat() if record.close_date else None,
        )
    return data


class RecordOutput(serializers.Serializer):
    """Schema only: the record JSON produced by `record_to_dict`."""

    id = serializers.IntegerField()
    type = serializers.CharField()
    name = serializers.CharField()
    stream = serializers.CharField()
    url = serializers.CharField()
    owner = serializers.DictField()
    visibility = serializers.ChoiceField(choices=Visibility.choices)
    visibility_display = serializers.CharField()
    following = serializers.BooleanField(required=False)


class RecordPageOutput(serializers.Serializer):
    """Schema only: a page of records, newest first (`OrderedCollectionPage`)."""

    type = serializers.CharField(default="OrderedCollectionPage")
    orderedItems = RecordOutput(many=True)  # noqa: N815
    next = serializers.URLField(allow_null=True)
    nextCursor = serializers.IntegerField(allow_null=True)  # noqa: N815


class ShareInput(serializers.Serializer):
    users = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=100)
    groups = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=100
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("users") and not attrs.get("groups"):
            raise serializers.ValidationError("Name at least one person (users) or group (groups).")
        return attrs


class ShareOutput(serializers.Serializer):
    """Schema only: one grantee of a record's shares."""

    type = serializers.ChoiceField(choices=["user", "group"])
    id = serializers.IntegerField()
    name = serializers.CharField()
    shared_by = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


def share_to_dict(share: RecordShare) -> dict[str, Any]:
    grantee = share.user or share.group
    return {
        "type": "user" if share.user_id else "group",
        "id": grantee.pk,
        "name": share.user.display_name if share.user_id else share.group.name,
        "shared_by": share.created_by_id,
        "created_at": share.created_at.isoformat(),
    }
