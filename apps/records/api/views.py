"""REST endpoints for clients, briefs and deals. One view class per operation, shared by kind."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db import transaction
from django.http import Http404
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
from apps.activity.api.serializers import FollowOutput, FollowSettingsInput
from apps.activity.models import Follow
from apps.activity.presenters import follow_to_dict
from apps.activity.services import follow_create, follow_delete
from apps.activity.verbs import Source

from .. import selectors, services
from ..models import Brief, Client, Deal, TrackedRecord
from .serializers import (
    BriefInput,
    ClientInput,
    DealInput,
    RecordOutput,
    RecordPageOutput,
    ShareInput,
    ShareOutput,
    record_to_dict,
    share_to_dict,
)


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
    # What an integration API key needs here (keys acting as their integration's owner).
    api_key_scopes = {
        "GET": "records:read",
        "POST": "records:write",
        "PATCH": "records:write",
        "DELETE": "records:write",
    }

    @property
    def spec(self) -> RecordSpec:
        return SPECS[self.kind]

    def get_record(self, request: Request, pk: int) -> TrackedRecord:
        return selectors.access_record(model=self.spec.model, viewer=request.user, pk=pk)


class FollowRequest(FollowSettingsInput):
    """Follow a record, for some verbs only or (clients) without the roll-up."""


class RecordListQuery(FeedQuerySerializer):
    q = serializers.CharField(
        required=False, max_length=100, help_text="Only records whose name (a brief's title) contains this."
    )


class RecordListCreateApi(_RecordApi):
    """List records of a kind (newest first, `?before=` cursor, `?q=` name search) or create one."""

    @extend_schema(parameters=[RecordListQuery], responses=RecordPageOutput)
    def get(self, request: Request) -> Response:
        query = parse_feed_query(request)
        search = RecordListQuery(data=request.query_params)
        search.is_valid(raise_exception=True)
        limit = activity_selectors.clamp_limit(query.get("limit"))
        qs = selectors.record_list(
            model=self.spec.model, viewer=request.user, q=search.validated_data.get("q", "").strip()
        ).order_by("-pk")
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
                "next": self._next_url(request, next_cursor) if more else None,
                "nextCursor": next_cursor,
            }
        )

    @staticmethod
    def _next_url(request: Request, cursor: int) -> str:
        params = {**{k: v for k, v in request.query_params.items() if k != "before"}, "before": cursor}
        return f"{request.build_absolute_uri(request.path)}?{urlencode(params)}"

    @extend_schema(request=RECORD_INPUT, responses={201: RecordOutput})
    def post(self, request: Request) -> Response:
        data = self.spec.input(data=request.data, context={"viewer": request.user})
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
        data = self.spec.input(data=request.data, partial=True, context={"viewer": request.user})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        visibility = fields.pop("visibility", None)
        with transaction.atomic():
            if visibility is not None:
                record = services.record_visibility_set(
                    record=record, actor=request.user, visibility=visibility, source=_source(request)
                )
            record = services.record_update(
                record=record, actor=request.user, data=fields, source=_source(request)
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

    @extend_schema(request=FollowRequest, responses={200: FollowOutput})
    def post(self, request: Request, pk: int) -> Response:
        record = self.get_record(request, pk)
        body = FollowRequest(data=request.data or {})
        body.is_valid(raise_exception=True)
        follow = follow_create(
            user=request.user,
            stream=record.stream_key,
            verbs=body.validated_data.get("verbs"),
            include_related=body.validated_data["include_related"],
        )
        return Response(follow_to_dict(follow))

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        record = self.get_record(request, pk)
        follow_delete(user=request.user, stream=record.stream_key)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _grantees(body: ShareInput, viewer) -> tuple[list, list]:
    """The people and groups a share request names; unknown (or invisible) ones are a 400."""
    from apps.accounts.models import User
    from apps.activity import registry
    from apps.social.models import Group

    user_ids = body.validated_data.get("users", [])
    group_ids = body.validated_data.get("groups", [])
    users = list(User.objects.filter(pk__in=user_ids, is_active=True))
    visible_groups = registry.kind_for("group").visible_object_ids(viewer, [str(i) for i in group_ids])
    groups = list(Group.objects.filter(pk__in=[int(i) for i in visible_groups]))
    errors = {}
    if missing := sorted(set(user_ids) - {u.pk for u in users}):
        errors["users"] = [f"No active person with id {i}." for i in missing]
    if missing := sorted(set(group_ids) - {g.pk for g in groups}):
        errors["groups"] = [f"No group with id {i}." for i in missing]
    if errors:
        raise serializers.ValidationError(errors)
    return users, groups


class RecordSharesApi(_RecordApi):
    """Who a record is shared with (GET), or share it with more people and groups (POST; owner or admin).

    A private record is visible to its owner, admins and whoever it is shared with (README, "Visibility").
    """

    @extend_schema(responses=ShareOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        record = self.get_record(request, pk)
        return Response({"orderedItems": [share_to_dict(s) for s in selectors.share_list(record=record)]})

    @extend_schema(request=ShareInput, responses={201: ShareOutput(many=True)})
    def post(self, request: Request, pk: int) -> Response:
        record = self.get_record(request, pk)
        body = ShareInput(data=request.data)
        body.is_valid(raise_exception=True)
        users, groups = _grantees(body, request.user)
        services.record_share(
            record=record, actor=request.user, users=users, groups=groups, source=_source(request)
        )
        return Response(
            {"orderedItems": [share_to_dict(s) for s in selectors.share_list(record=record)]},
            status=status.HTTP_201_CREATED,
        )


class RecordShareDeleteApi(_RecordApi):
    """Stop sharing a record with one person (`users`) or group (`groups`); owner or admin."""

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, pk: int, grantee: str, grantee_id: int) -> Response:
        record = self.get_record(request, pk)
        share = next(
            (
                s
                for s in selectors.share_list(record=record)
                if (s.user_id if grantee == "users" else s.group_id) == grantee_id
            ),
            None,
        )
        if share is None:
            raise Http404
        services.record_unshare(
            record=record,
            actor=request.user,
            users=[share.user] if share.user_id else [],
            groups=[share.group] if share.group_id else [],
            source=_source(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
