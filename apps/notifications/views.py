"""Notification pages: the signed-in list, and the page a signed unsubscribe link opens."""

from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import services
from .emails import unsubscribe_read
from .reasons import Reason


def _describe(reason: str | None, stream: str | None) -> str:
    if stream:
        return f"notifications about {stream}"
    if reason == "digest":
        return "email digests"
    if reason in Reason.values:
        return f"emails when: {Reason(reason).label.lower()}"
    return "these emails"


# GET asks, POST acts (so link scanners change nothing). The signed token is the credential:
# RFC 8058 one-click POSTs come from mail clients, without cookies.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        target = unsubscribe_read(token)
    except signing.SignatureExpired:
        return render(request, "notifications/unsubscribe.html", {"error": "It has expired."}, status=400)
    except signing.BadSignature:
        return render(request, "notifications/unsubscribe.html", {"error": "It is not valid."}, status=400)
    if request.method == "POST":
        done = services.unsubscribe_apply(user_id=target.user_id, reason=target.reason, stream=target.stream)
        return render(request, "notifications/unsubscribe.html", {"done": done})
    what = _describe(target.reason, target.stream)
    return render(request, "notifications/unsubscribe.html", {"what": what})


@login_required
def notifications_page(request: HttpRequest) -> HttpResponse:
    """All my notifications; the list pages through the REST API on its cursor."""
    return render(request, "notifications/list.html", {"list_url": reverse("notification-list")})
