"""REST endpoints for the notification inbox and preferences. One view per operation."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.activity import registry
from apps.activity.api.pagination import FeedQuerySerializer

from .. import selectors, services
from ..presenters import notification_to_dict
from ..reasons import Channel, DigestFrequency, Reason


class NotificationQuerySerializer(FeedQuerySerializer):
    unread = serializers.BooleanField(required=False, default=False, help_text="Only unread notifications.")


class NotificationPageSerializer(serializers.Serializer):
    """Schema only: the page shape (an Activity Streams `OrderedCollectionPage`)."""

    type = serializers.CharField(default="OrderedCollectionPage")
    id = serializers.URLField()
    orderedItems = serializers.ListField(child=serializers.DictField())  # noqa: N815
    next = serializers.URLField(allow_null=True)
    nextCursor = serializers.IntegerField(allow_null=True)  # noqa: N815
    unread = serializers.IntegerField()


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class NotificationListApi(APIView):
    """My notifications, most recently active first (`?before=<cursor>`, `?unread=true`)."""

    @extend_schema(parameters=[NotificationQuerySerializer], responses=NotificationPageSerializer)
    def get(self, request: Request) -> Response:
        query = NotificationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        page = selectors.notification_list(
            user=request.user,
            before=data.get("before"),
            limit=data.get("limit"),
            unread_only=data["unread"],
        )
        base = request.build_absolute_uri(request.path)
        params = {k: v for k, v in request.query_params.items() if k != "before"}
        next_url = None
        if page.next_cursor is not None:
            next_url = f"{base}?{urlencode({**params, 'before': page.next_cursor})}"
        return Response(
            {
                "type": "OrderedCollectionPage",
                "id": request.build_absolute_uri(),
                "orderedItems": [notification_to_dict(n) for n in page.items],
                "next": next_url,
                "nextCursor": page.next_cursor,
                "unread": selectors.unread_count(user_id=request.user.pk),
            }
        )


class UnreadCountApi(APIView):
    """How many notifications I have not read (a counter, not a count)."""

    @extend_schema(responses=UnreadCountSerializer)
    def get(self, request: Request) -> Response:
        return Response({"unread": selectors.unread_count(user_id=request.user.pk)})


class NotificationReadApi(APIView):
    """Mark one of my notifications read. Someone else's is a 404."""

    @extend_schema(request=None, responses=UnreadCountSerializer)
    def post(self, request: Request, pk: int) -> Response:
        notification = selectors.notification_get(user=request.user, pk=pk)
        unread = services.notification_mark_read(user=request.user, notification=notification)
        return Response({"unread": unread})


class NotificationReadAllApi(APIView):
    """Mark all my notifications read, or those up to a cursor (`{"before": <cursor>}`, inclusive)."""

    class InputSerializer(serializers.Serializer):
        before = serializers.IntegerField(required=False, min_value=1)

    class OutputSerializer(serializers.Serializer):
        marked = serializers.IntegerField()
        unread = serializers.IntegerField()

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        marked = services.notification_mark_all_read(
            user=request.user, before=body.validated_data.get("before")
        )
        return Response({"marked": marked, "unread": selectors.unread_count(user_id=request.user.pk)})


def _stream_is_known(value: str) -> str:
    prefix, object_id = registry.split_stream(value)
    if registry.kind_for(prefix) is None or not object_id:
        raise serializers.ValidationError(f"Unknown stream {value!r}.")
    return value


@extend_schema_field({"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]", "example": "22:00"})
class HourMinuteField(serializers.TimeField):
    """A local time shown as `HH:MM` (not the RFC 3339 `time` the schema would otherwise promise)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


class PreferencesSerializer(serializers.Serializer):
    channels = serializers.DictField(
        child=serializers.ChoiceField(choices=Channel.choices),
        required=False,
        help_text=f"Reason → channel. Reasons: {', '.join(Reason.values)}.",
    )
    muted_streams = serializers.ListField(
        child=serializers.CharField(max_length=100, validators=[_stream_is_known]),
        required=False,
        max_length=1000,
    )
    digest_frequency = serializers.ChoiceField(choices=DigestFrequency.choices, required=False)
    quiet_start = HourMinuteField(required=False, allow_null=True)
    quiet_end = HourMinuteField(required=False, allow_null=True)
    timezone = serializers.CharField(read_only=True)

    def validate_channels(self, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(Reason.values))
        if unknown:
            raise serializers.ValidationError(f"Unknown reasons: {', '.join(unknown)}.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("quiet_start" in attrs) != ("quiet_end" in attrs):
            raise serializers.ValidationError({"quiet_end": "Give quiet_start and quiet_end together."})
        return attrs


class PreferencesApi(APIView):
    """My notification preferences: a channel per reason, muted records, digest, quiet hours.

    PUT replaces the parts it names and leaves the others; quiet hours are read in my time zone.
    """

    def _current(self, request: Request) -> dict[str, Any]:
        prefs = selectors.preferences_get(user=request.user)
        return {
            "channels": prefs.channels,
            "muted_streams": prefs.muted_streams,
            "digest_frequency": prefs.digest_frequency,
            "quiet_start": prefs.quiet_start,
            "quiet_end": prefs.quiet_end,
            "timezone": prefs.timezone,
        }

    @extend_schema(responses=PreferencesSerializer)
    def get(self, request: Request) -> Response:
        return Response(self._current(request))

    @extend_schema(request=PreferencesSerializer, responses=PreferencesSerializer)
    def put(self, request: Request) -> Response:
        body = PreferencesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        services.preferences_update(
            user=request.user,
            channels=data.get("channels"),
            muted_streams=data.get("muted_streams"),
            digest_frequency=data.get("digest_frequency"),
            quiet_hours=(data["quiet_start"], data["quiet_end"]) if "quiet_start" in data else None,
        )
        return Response(self._current(request))
