"""Server-rendered pages; the feed itself is loaded from the REST API and kept live over the socket."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import selectors
from .api.serializers import record_to_dict
from .kinds import RECORD_MODELS, URL_SEGMENTS


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "feed/home.html", {"feed_url": "/api/v1/feed/"})


@login_required
def record_page(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    model = RECORD_MODELS[kind]
    record = selectors.access_record(model=model, viewer=request.user, pk=pk)
    segment = URL_SEGMENTS[kind]
    return render(
        request,
        "feed/record.html",
        {
            "record": record,
            "data": record_to_dict(record),
            "feed_url": f"/api/v1/{segment}/{pk}/feed/",
            "api_url": f"/api/v1/{segment}/{pk}/",
        },
    )
