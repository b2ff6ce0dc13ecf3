"""The analytics dashboard page: server-rendered, charts as inline SVG, filters as a GET form."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.models import User
from apps.activity import registry
from apps.social.models import Group

from . import selectors, services
from .charts import bar_widths, column_chart
from .filters import PERIODS, TYPES, AnalyticsQuerySerializer, scope_build
from .models import PulseSubscription
from .records import cold_records, unanswered_questions

DASHBOARD_TOP = 10
COLD_DAYS = 14
# Kinds with a browser page; the others link to their REST feed.
_API_FEEDS = {"group": "/api/v1/groups/{}/feed/", "topic": "/api/v1/topics/{}/feed/"}


def feed_link(subject: str) -> str:
    prefix, object_id = registry.split_stream(subject)
    if prefix in _API_FEEDS:
        return _API_FEEDS[prefix].format(object_id)
    return registry.stream_url(subject)


def _visible_groups(viewer: User) -> list[tuple[int, str]]:
    groups = list(Group.objects.order_by("name").values_list("pk", "name"))
    kind = registry.kind_for("group")
    visible = kind.visible_object_ids(viewer, [str(pk) for pk, _ in groups]) if kind else set()
    return [(pk, name) for pk, name in groups if str(pk) in visible]


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    query = AnalyticsQuerySerializer(data=request.GET)
    context = {
        "periods": list(PERIODS),
        "types": list(TYPES),
        "departments": sorted(
            d
            for d in User.objects.filter(is_active=True).values_list("department", flat=True).distinct()
            if d
        ),
        "groups": _visible_groups(request.user),
        "has_reports": User.objects.filter(manager=request.user, is_active=True).exists(),
        "pulse_enabled": PulseSubscription.objects.filter(user=request.user, enabled=True).exists(),
        "params": request.GET,
    }
    if not query.is_valid():
        return render(request, "analytics/dashboard.html", {**context, "errors": query.errors}, status=400)
    data = query.validated_data
    scope = scope_build(viewer=request.user, query=data)
    lens = selectors.Lens(viewer=request.user)
    records_scope = (
        scope
        if scope.subject_types
        else selectors.Scope(**{**scope.__dict__, "subject_types": TYPES["record"]})
    )
    topics_scope = selectors.Scope(**{**scope.__dict__, "subject_types": ("topic",)})
    series = selectors.activity_series(lens=lens, scope=scope)
    top = selectors.top_subjects(lens=lens, scope=records_scope, limit=DASHBOARD_TOP)
    trends = selectors.trending(lens=lens, scope=topics_scope, limit=DASHBOARD_TOP)
    owners = (
        {int(s.partition(":")[2]) for s in scope.subjects if s.startswith("user:")}
        if scope.subjects
        else None
    )
    cold = cold_records(lens=lens, days=COLD_DAYS, on=scope.until, limit=DASHBOARD_TOP, owner_ids=owners)
    cold += unanswered_questions(viewer=request.user, since=scope.since, limit=DASHBOARD_TOP)
    export = urlencode({k: v for k, v in request.GET.items() if k != "format"} | {"format": "csv"})
    return render(
        request,
        "analytics/dashboard.html",
        {
            **context,
            "scope": scope,
            "summary": selectors.scope_measures(lens=lens, scope=scope),
            "chart": column_chart([(d.day.isoformat(), d.activities) for d in series]),
            "top": [
                (row, width, feed_link(row.subject))
                for row, width in zip(top, bar_widths([r.measures.score for r in top]), strict=True)
            ],
            "trends": [
                (t, width, feed_link(t.subject))
                for t, width in zip(trends, bar_widths([t.rise for t in trends]), strict=True)
            ],
            "cold": cold,
            "cold_days": COLD_DAYS,
            "export_query": export,
        },
    )


@login_required
@require_POST
def pulse_toggle(request: HttpRequest) -> HttpResponse:
    services.pulse_subscription_set(user=request.user, enabled=request.POST.get("enabled") == "on")
    return redirect("analytics-dashboard")
