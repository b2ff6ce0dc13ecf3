"""Server-rendered account pages; a person's feed is loaded from the REST API."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import selectors


@login_required
def person_page(request: HttpRequest, pk: int) -> HttpResponse:
    person = selectors.person_get(viewer=request.user, pk=pk)
    return render(
        request,
        "accounts/person.html",
        {"person": person, "feed_url": f"/api/v1/people/{pk}/feed/", "stream": person.stream_key},
    )
