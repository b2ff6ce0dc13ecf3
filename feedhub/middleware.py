"""Request guards that hold for every endpoint: a database outage is a 503, and API write bodies
are bounded, JSON and well-formed before any view runs."""

from collections.abc import Callable
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions

from apps.activity.api.errors import RETRY_AFTER_SECONDS, error_body, unavailable_body
from apps.activity.api.parsers import (
    JSON_MEDIA_TYPES,
    PARSED_ATTRIBUTE,
    PayloadTooLarge,
    body_limit,
    parse_json_body,
)


class ServiceUnavailableMiddleware:
    """A database outage answers 503 with Retry-After, never a 500 (pages, auth, anything)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        response = JsonResponse(unavailable_body(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _api_error(exc: exceptions.APIException) -> JsonResponse:
    return JsonResponse(error_body(str(exc.default_code), str(exc.detail)), status=exc.status_code)


def _takes_other_media(view_class: Any) -> bool:
    parsers = getattr(view_class, "parser_classes", None) or []
    return any(getattr(parser, "media_type", "").split(";")[0] not in JSON_MEDIA_TYPES for parser in parsers)


class JsonBodyGuardMiddleware:
    """Every write under /api/ with a body: within the view's size limit (413, judged on the announced
    length before reading), a JSON media type (415), and strict, bounded, NUL-free JSON (400).

    Endpoints that ignore their body are covered too, and the parsed body is left on the request
    for the DRF parser, so nothing is parsed twice.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if not request.path.startswith("/api/"):
            return None
        if any("\x00" in key or "\x00" in value for key, value in request.GET.items()):
            return _api_error(exceptions.ParseError("NUL characters are not accepted in the query string."))
        if request.method not in WRITE_METHODS:
            return None
        view_class = getattr(view_func, "view_class", None)
        if _takes_other_media(view_class) and request.method != "DELETE":
            # Uploads (multipart, images) are bounded and parsed by their own view; a DELETE
            # carries no upload, so its body is held to the JSON rules like any other.
            return None
        limit = body_limit(view_class)
        try:
            announced = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _api_error(exceptions.ParseError("Invalid Content-Length header."))
        try:
            if announced > limit:
                raise PayloadTooLarge(f"Request body exceeds {limit} bytes.")
            # Bounded by the announced length just checked (Django reads no further than it).
            body = request.body
            if not body:
                return None
            media_type = request.content_type or ""
            if media_type not in JSON_MEDIA_TYPES:
                raise exceptions.UnsupportedMediaType(media_type or "(none)")
            setattr(request, PARSED_ATTRIBUTE, parse_json_body(body))
        except exceptions.APIException as exc:
            return _api_error(exc)
        return None
