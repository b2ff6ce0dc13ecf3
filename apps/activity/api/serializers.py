"""Response shapes of the activity layer shared by several apps' endpoints (for the OpenAPI schema)."""

from rest_framework import serializers


class FollowOutput(serializers.Serializer):
    """A follow and its settings, as `presenters.follow_to_dict` writes it."""

    stream = serializers.CharField()
    following = serializers.BooleanField()
    verbs = serializers.ListField(child=serializers.CharField(), help_text="Empty: every verb.")
    muted = serializers.BooleanField()
    include_related = serializers.BooleanField(
        help_text="Whether activity rolled up from related records (a client's briefs and deals) is included."
    )
