"""REST endpoints for clients, briefs and deals. One view class per operation, shared by kind."""

from __future__ import annotations

from dataclasses import dataclass

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.activity import selectors as activity_selectors
from apps.activity.api.pagination import (
    FeedFilterQuerySerializer,
    FeedPageSerializer,
    FeedQuerySerializer,
    feed_page_response,
    parse_feed_query,
)
from apps.activity.models import Follow
from apps.activity.services import follow_create, follow_delete
from apps.activity.verbs import Source

from .. import selectors, services
from ..models import Brief, Client, Deal, TrackedRecord
from .serializers import BriefInput, ClientInput, DealInput, RecordOutput, record_to_dict


@dataclass(frozen=True)
class RecordSpec:
    model: type[TrackedRecord]
    input: type[serializers.Serializer]
    create: object


# The same views serve every kind; the schema documents the body as one of the kinds' inputs.
RECORD_INPUT = PolymorphicProxySerializer(
    component_name="RecordInput",
    serializers=[ClientInput, BriefInput, DealInput],
    resource_type_field_name=None,
)

SPECS = {
    "clients": RecordSpec(Client, ClientInput, services.client_create),
    "briefs": RecordSpec(Brief, BriefInput, services.brief_create),
    "deals": RecordSpec(Deal, DealInput, services.deal_create),
}


def _source(request: Request) -> str:
    return Source.WEB if request.auth is None else Source.API


class _RecordApi(APIView):
    kind: str = ""

    @property
    def spec(self) -> RecordSpec:
        return SPECS[self.kind]

    def get_record(self, request: Request, pk: int) -> TrackedRecord:
        return selectors.access_record(model=self.spec.model, viewer=request.user, pk=pk)


class FollowRequest(serializers.Serializer):
    verbs = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        max_length=20,
        help_text='Only these verbs reach my feed (e.g. ["Update"]); empty for everything.',
    )


class RecordListCreateApi(_RecordApi):
    """List records of a kind (newest first, `?before=` cursor) or create one."""

    @extend_schema(parameters=[FeedQuerySerializer], responses=RecordOutput(many=True))
    def get(self, request: Request) -> Response:
        query = parse_feed_query(request)
        limit = activity_selectors.clamp_limit(query.get("limit"))
        qs = selectors.record_list(model=self.spec.model, viewer=request.user).order_by("-pk")
        if "before" in query:
            qs = qs.filter(pk__lt=query["before"])
        rows = list(qs[: limit + 1])
        more = len(rows) > limit
        rows = rows[:limit]
        streams = [r.stream_key for r in rows]
        followed = set(
            Follow.objects.filter(user=request.user, stream__in=streams).values_list("stream", flat=True)
        )
        next_cursor = rows[-1].pk if more else None
        return Response(
            {
                "type": "OrderedCollectionPage",
                "orderedItems": [record_to_dict(r, following=r.stream_key in followed) for r in rows],
                "next": f"{request.build_absolute_uri(request.path)}?before={next_cursor}" if more else None,
                "nextCursor": next_cursor,
            }
        )

    @extend_schema(request=RECORD_INPUT, responses={201: RecordOutput})
    def post(self, request: Request) -> Response:
        data = self.spec.input(data=request.data)
        data.is_valid(raise_exception=True)
        record = self.spec.create(actor=request.user, data=data.validated_data, source=_source(request))
        return Response(record_to_dict(record, following=True), status=status.HTTP_201_CREATED)


class RecordDetailApi(_RecordApi):
    """Read or change one record. A PATCH emits one `Update` with the tracked changes."""

    @extend_schema(responses=RecordOutput)
    def get(self, request: Request, pk: int) -> Response:
        record = self.get_record(request, pk)
        following = activity_selectors.follow_get(user=request.user, stream=record.stream_key)
        return Response(record_to_dict(record, following=following is not None))

    @extend_schema(responses=RecordOutput)
    @extend_schema(request=RECORD_INPUT, responses=RecordOutput)
    def patch(self, request: Request, pk: int) -> Response:
        record = self.get_record(request, pk)
        data = self.spec.input(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        record = services.record_update(
            record=record, actor=request.user, data=data.validated_data, source=_source(request)
        )
        following = activity_selectors.follow_get(user=request.user, stream=record.stream_key)
        return Response(record_to_dict(record, following=following is not None))


class RecordFeedApi(_RecordApi):
    """A record's own feed: every activity about it, newest first."""

    @extend_schema(parameters=[FeedFilterQuerySerializer], responses=FeedPageSerializer)
    def get(self, request: Request, pk: int) -> Response:
        record = self.get_record(request, pk)
        query = parse_feed_query(request)
        page = activity_selectors.stream_feed(stream=record.stream_key, viewer=request.user, **query)
        return Response(feed_page_response(request, page))


class RecordFollowApi(_RecordApi):
    """Follow (POST, optionally for some verbs only) or unfollow (DELETE) a record."""

    @extend_schema(request=FollowRequest, responses={200: dict})
    def post(self, request: Request, pk: int) -> Response:
        record = self.get_record(request, pk)
        body = FollowRequest(data=request.data or {})
        body.is_valid(raise_exception=True)
        follow = follow_create(
            user=request.user, stream=record.stream_key, verbs=body.validated_data.get("verbs")
        )
        return Response({"stream": follow.stream, "following": True, "verbs": follow.verbs})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        record = self.get_record(request, pk)
        follow_delete(user=request.user, stream=record.stream_key)
        return Response(status=status.HTTP_204_NO_CONTENT)
