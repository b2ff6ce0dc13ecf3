"""Response shapes of the activity layer shared by several apps' endpoints (for the OpenAPI schema)."""

from rest_framework import serializers

from .fields import JsonBooleanField

ROLLUP_HELP = "Client follows: false leaves out the activity of the client's briefs and deals (the roll-up)."


def verbs_field() -> serializers.ListField:
    """A follow's verb filter, as every follow endpoint takes it."""
    return serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        max_length=20,
        help_text='Only these verbs reach my feed (e.g. ["Update"]); empty for everything.',
    )


class FollowSettingsInput(serializers.Serializer):
    """The settings a new follow takes (a record's follow button, `POST follows/`)."""

    verbs = verbs_field()
    include_related = JsonBooleanField(required=False, default=True, help_text=ROLLUP_HELP)


class FollowOutput(serializers.Serializer):
    """A follow and its settings, as `presenters.follow_to_dict` writes it."""

    stream = serializers.CharField()
    following = serializers.BooleanField()
    verbs = serializers.ListField(child=serializers.CharField(), help_text="Empty: every verb.")
    muted = serializers.BooleanField()
    include_related = serializers.BooleanField(
        help_text="Whether activity rolled up from related records (a client's briefs and deals) is included."
    )
