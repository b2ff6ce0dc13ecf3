"""REST endpoints for every analytics measure; each also answers `?format=csv`. One view per operation."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.activity.api.fields import JsonBooleanField
from apps.activity.selectors import stream_visible

from .. import selectors, services
from ..filters import AnalyticsQuerySerializer, scope_build
from ..models import PulseSubscription
from ..records import cold_records, unanswered_questions
from .renderers import CsvRenderer

FORMAT = OpenApiParameter("format", str, enum=["json", "csv"], description="`csv` for a CSV download.")


class MeasuresSerializer(serializers.Serializer):
    """Schema only: the measures of a subject or scope."""

    activities = serializers.IntegerField()
    posts = serializers.IntegerField()
    comments = serializers.IntegerField()
    likes = serializers.IntegerField()
    followers_gained = serializers.IntegerField()
    followers_lost = serializers.IntegerField()
    participants = serializers.IntegerField(
        help_text="Unique people who posted, commented, changed or liked."
    )
    median_response_seconds = serializers.FloatField(allow_null=True)
    responses = serializers.IntegerField(help_text="First responses the median is taken over.")
    score = serializers.IntegerField(
        help_text="activities + posts + 2 x comments + likes + 3 x (followers_gained - followers_lost)"
    )


class SubjectRefSerializer(serializers.Serializer):
    """Schema only: which subject a row is about, and where its feed is."""

    subject = serializers.CharField(help_text="Its stream key, e.g. deal:42.")
    type = serializers.CharField()
    name = serializers.CharField()
    url = serializers.CharField()


class SubjectRowSerializer(SubjectRefSerializer, MeasuresSerializer):
    pass


class DayCountSerializer(serializers.Serializer):
    day = serializers.DateField()
    activities = serializers.IntegerField()
    posts = serializers.IntegerField()
    comments = serializers.IntegerField()
    likes = serializers.IntegerField()


class TrendSerializer(SubjectRefSerializer):
    activities = serializers.IntegerField()
    baseline = serializers.FloatField()
    rise = serializers.FloatField()


class ColdSpotSerializer(SubjectRefSerializer):
    owner = serializers.CharField()
    state = serializers.CharField()
    last_activity = serializers.DateField(allow_null=True)
    followers = serializers.IntegerField()
    reasons = serializers.CharField(help_text="Comma-separated: no_activity, no_followers, unanswered.")


def _page(name: str, row: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """Schema only: `{"since", "until", "results": [row, …]}` (CSV: the rows)."""
    return type(
        f"Analytics{name}PageSerializer",
        (serializers.Serializer,),
        {"since": serializers.DateField(), "until": serializers.DateField(), "results": row(many=True)},
    )


class AnalyticsApi(APIView):
    """Base: JSON or CSV; errors are always JSON, whatever format was asked for."""

    renderer_classes = [JSONRenderer, CsvRenderer]
    csv_name = "analytics"
    # The CSV header when there are no rows: an empty download still says what it would hold.
    csv_row: type[serializers.Serializer] | None = None

    def csv_columns(self) -> list[str]:
        return list(self.csv_row().fields) if self.csv_row else []

    def scope(self, request: Request) -> tuple[selectors.Lens, selectors.Scope, dict[str, Any]]:
        query = AnalyticsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return (
            selectors.Lens(viewer=request.user),
            scope_build(viewer=request.user, query=query.validated_data),
            query.validated_data,
        )

    def respond(self, scope: selectors.Scope, results: list[dict[str, Any]], **extra: Any) -> Response:
        response = Response({"since": scope.since, "until": scope.until, **extra, "results": results})
        if (
            getattr(self.request, "accepted_renderer", None)
            and self.request.accepted_renderer.format == "csv"
        ):
            response["Content-Disposition"] = (
                f'attachment; filename="{self.csv_name}-{scope.since}-{scope.until}.csv"'
            )
        return response

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class SummaryApi(AnalyticsApi):
    """Every measure over the period for everything the filters keep (one row)."""

    csv_name = "summary"
    csv_row = MeasuresSerializer

    @extend_schema(
        parameters=[AnalyticsQuerySerializer, FORMAT], responses=_page("Summary", MeasuresSerializer)
    )
    def get(self, request: Request) -> Response:
        lens, scope, _ = self.scope(request)
        measures = selectors.scope_measures(lens=lens, scope=scope)
        return self.respond(scope, [{"since": scope.since, "until": scope.until, **measures.as_dict()}])


class SeriesApi(AnalyticsApi):
    """Activity over time: per-day counts, every day of the period."""

    csv_name = "series"
    csv_row = DayCountSerializer

    @extend_schema(
        parameters=[AnalyticsQuerySerializer, FORMAT], responses=_page("Series", DayCountSerializer)
    )
    def get(self, request: Request) -> Response:
        lens, scope, _ = self.scope(request)
        series = selectors.activity_series(lens=lens, scope=scope)
        return self.respond(scope, [d.__dict__ for d in series])


class TopApi(AnalyticsApi):
    """Subjects (records, people, groups, topics) by engagement score, highest first."""

    csv_name = "top"
    csv_row = SubjectRowSerializer

    @extend_schema(
        parameters=[AnalyticsQuerySerializer, FORMAT], responses=_page("Subjects", SubjectRowSerializer)
    )
    def get(self, request: Request) -> Response:
        lens, scope, query = self.scope(request)
        rows = selectors.top_subjects(lens=lens, scope=scope, limit=query["limit"])
        return self.respond(scope, [r.as_dict() for r in rows])


class TrendingApi(AnalyticsApi):
    """Subjects whose activity rose most against their own baseline (the four periods before)."""

    csv_name = "trending"
    csv_row = TrendSerializer

    @extend_schema(
        parameters=[AnalyticsQuerySerializer, FORMAT], responses=_page("Trending", TrendSerializer)
    )
    def get(self, request: Request) -> Response:
        lens, scope, query = self.scope(request)
        trends = selectors.trending(lens=lens, scope=scope, limit=query["limit"])
        return self.respond(scope, [t.as_dict() for t in trends])


class ColdSpotQuerySerializer(AnalyticsQuerySerializer):
    days = serializers.IntegerField(
        required=False, min_value=1, max_value=365, default=14, help_text="Quiet for this many days."
    )


class ColdSpotsApi(AnalyticsApi):
    """Open deals and active briefs quiet for `days` days or with no followers; unanswered questions."""

    csv_name = "cold-spots"
    csv_row = ColdSpotSerializer

    @extend_schema(
        parameters=[ColdSpotQuerySerializer, FORMAT], responses=_page("ColdSpots", ColdSpotSerializer)
    )
    def get(self, request: Request) -> Response:
        query = ColdSpotQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        scope = scope_build(viewer=request.user, query=data)
        lens = selectors.Lens(viewer=request.user)
        types = tuple(t for t in (scope.subject_types or ("deal", "brief")) if t in ("deal", "brief"))
        owners = (
            {int(s.split(":")[1]) for s in scope.subjects if s.startswith("user:")}
            if scope.subjects
            else None
        )
        spots = cold_records(
            lens=lens, days=data["days"], on=scope.until, limit=data["limit"], types=types, owner_ids=owners
        )
        questions = unanswered_questions(viewer=request.user, since=scope.since, limit=data["limit"])
        return self.respond(scope, [s.as_dict() for s in [*spots, *questions]], days=data["days"])


class SubjectApi(AnalyticsApi):
    """Every measure of one subject (`deal:42`, `user:3`, `group:5`, `topic:pricing`) over the period."""

    csv_name = "subject"
    csv_row = SubjectRowSerializer

    @extend_schema(
        parameters=[AnalyticsQuerySerializer, FORMAT], responses=_page("Subject", SubjectRowSerializer)
    )
    def get(self, request: Request, stream: str) -> Response:
        prefix = stream.partition(":")[0]
        if prefix not in services.SUBJECT_KINDS or not stream_visible(viewer=request.user, stream=stream):
            raise Http404
        lens, scope, _ = self.scope(request)
        measures = selectors.subject_measures(lens=lens, subject=stream, since=scope.since, until=scope.until)
        row = selectors.subject_row(subject=stream, measures=measures)
        return self.respond(scope, [row.as_dict()])


class PulseSerializer(serializers.Serializer):
    enabled = JsonBooleanField(help_text="Send me the weekly pulse about my direct reports' records.")


class PulseApi(APIView):
    """My weekly pulse email: opted in or not."""

    @extend_schema(responses=PulseSerializer)
    def get(self, request: Request) -> Response:
        enabled = PulseSubscription.objects.filter(user=request.user, enabled=True).exists()
        return Response({"enabled": enabled})

    @extend_schema(request=PulseSerializer, responses=PulseSerializer)
    def put(self, request: Request) -> Response:
        body = PulseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        subscription = services.pulse_subscription_set(
            user=request.user, enabled=body.validated_data["enabled"]
        )
        return Response({"enabled": subscription.enabled})
