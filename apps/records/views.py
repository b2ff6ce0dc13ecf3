"""Server-rendered pages; the feed itself is loaded from the REST API and kept live over the socket."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.activity import selectors as activity_selectors

from . import selectors
from .api.serializers import record_to_dict
from .kinds import RECORD_MODELS, URL_SEGMENTS

# List pages show the most recently touched records; the REST list endpoint pages through all.
LIST_PAGE_SIZE = 100


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "feed/home.html", {"feed_url": "/api/v1/feed/"})


@login_required
def record_list_page(request: HttpRequest, kind: str) -> HttpResponse:
    model = RECORD_MODELS[kind]
    rows = selectors.record_list(model=model, viewer=request.user).order_by("-updated_at", "-pk")
    return render(
        request,
        "feed/record_list.html",
        {
            "kind": kind,
            "title": str(model._meta.verbose_name_plural).capitalize(),
            "records": [record_to_dict(r) for r in rows[:LIST_PAGE_SIZE]],
        },
    )


@login_required
def record_page(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    model = RECORD_MODELS[kind]
    record = selectors.access_record(model=model, viewer=request.user, pk=pk)
    segment = URL_SEGMENTS[kind]
    follow = activity_selectors.follow_get(user=request.user, stream=record.stream_key)
    return render(
        request,
        "feed/record.html",
        {
            "record": record,
            "data": record_to_dict(record),
            "follow": follow,
            "follows_updates_only": follow is not None and follow.verbs == ["Update"],
            "followers": activity_selectors.followers_list(stream=record.stream_key, limit=20),
            "follower_count": activity_selectors.follower_count(stream=record.stream_key),
            "feed_url": f"/api/v1/{segment}/{pk}/feed/",
            "api_url": f"/api/v1/{segment}/{pk}/",
        },
    )
