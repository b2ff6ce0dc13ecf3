"""Server-rendered pages; the feed itself is loaded from the REST API and kept live over the socket."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.activity import selectors as activity_selectors
from apps.social.selectors import group_list

from . import access, selectors
from .api.serializers import record_to_dict
from .kinds import RECORD_MODELS, URL_SEGMENTS
from .models import Client, Visibility

# List pages show the most recently touched records; the REST list endpoint pages through all.
LIST_PAGE_SIZE = 100


# The news page's "Show" choices, as feed filter parameters (see FeedFilterQuerySerializer).
NEWS_FILTERS: dict[str, tuple[str, dict[str, str]]] = {
    "posts": ("Posts", {"type": "post"}),
    "comments": ("Comments", {"type": "comment"}),
    "changes": ("Record changes", {"verb": "Update"}),
    "deals": ("Deals", {"type": "deal"}),
    "briefs": ("Briefs", {"type": "brief"}),
    "clients": ("Clients", {"type": "client"}),
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The news feed; `?q=` searches posts and comments instead, `?show=` filters (neither is live)."""
    q = request.GET.get("q", "").strip()[:200]
    show = request.GET.get("show", "")
    params = NEWS_FILTERS.get(show, ("", {}))[1]
    if q:
        feed_url = "/api/v1/search/?" + urlencode({"q": q, **params})
    else:
        feed_url = "/api/v1/feed/" + ("?" + urlencode(params) if params else "")
    return render(
        request,
        "feed/home.html",
        {
            "feed_url": feed_url,
            "q": q,
            "show": show if params else "",
            "filters": [(key, label) for key, (label, _) in NEWS_FILTERS.items()],
            "filtered": bool(q or params),
        },
    )


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
            "shares": selectors.share_list(record=record),
            "can_manage": access.can_manage(record, request.user),
            "visibility_choices": [
                (v.value, v.label) for v in Visibility if model is not Client or v != Visibility.INHERIT
            ],
            "groups": group_list(viewer=request.user),
        },
    )
