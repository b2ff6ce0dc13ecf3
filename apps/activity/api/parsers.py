"""JSON request bodies, parsed once and defensively, for every API endpoint.

`feedhub.middleware.JsonBodyGuardMiddleware` applies `parse_json_body` to every write request
under /api/ (so an endpoint that ignores its body still refuses a malformed one) and leaves the
result on the request; `GuardedJsonParser` hands that result to DRF instead of parsing again.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework import exceptions, parsers, status

# Deeper than any body feedhub accepts; bounds the work of walking (and of Python's parser).
MAX_JSON_DEPTH = 32
JSON_MEDIA_TYPES = ("application/json", "application/activity+json", "application/ld+json")
PARSED_ATTRIBUTE = "_feedhub_json"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "payload_too_large"


def read_limited(stream: Any, limit: int) -> bytes:
    """Read at most `limit` bytes, raising 413 beyond it (without reading the rest)."""
    body = stream.read(limit + 1) if stream is not None else b""
    if len(body) > limit:
        raise PayloadTooLarge(f"Request body exceeds {limit} bytes.")
    return body


def _first_problem(value: Any, path: str, depth: int) -> str | None:
    """The first nesting or NUL problem in a parsed body, described with its JSON path."""
    if depth > MAX_JSON_DEPTH:
        return f"JSON nested deeper than {MAX_JSON_DEPTH} levels (at {path})."
    if isinstance(value, str):
        # PostgreSQL text and jsonb cannot store U+0000; refuse it here rather than fail later.
        return f"NUL characters are not accepted (at {path})." if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                return f"NUL characters are not accepted (in a key at {path})."
            problem = _first_problem(item, f"{path}.{key}", depth + 1)
            if problem:
                return problem
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problem = _first_problem(item, f"{path}[{index}]", depth + 1)
            if problem:
                return problem
    return None


def parse_json_body(body: bytes) -> Any:
    """Strict UTF-8 JSON, at most MAX_JSON_DEPTH deep, with no NUL characters; else a 400 ParseError."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise exceptions.ParseError(
            f"The body is not valid UTF-8: {exc.reason} at byte {exc.start}."
        ) from exc
    except json.JSONDecodeError as exc:
        raise exceptions.ParseError(f"JSON parse error: {exc}") from exc
    except RecursionError as exc:
        raise exceptions.ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.") from exc
    problem = _first_problem(data, "$", 0)
    if problem:
        raise exceptions.ParseError(problem)
    return data


def body_limit(view: Any) -> int:
    """The body size a view accepts: its `body_limit_setting` (integrations) or the API default."""
    name = getattr(view, "body_limit_setting", None)
    if name:
        return settings.FEEDHUB_INTEGRATIONS[name]
    return settings.FEEDHUB["MAX_REQUEST_BYTES"]


class GuardedJsonParser(parsers.BaseParser):
    """JSON parsed by `parse_json_body` within the view's size limit (reusing the middleware's work)."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        context = parser_context or {}
        request = context.get("request")
        django_request = getattr(request, "_request", None)
        if django_request is not None and hasattr(django_request, PARSED_ATTRIBUTE):
            return getattr(django_request, PARSED_ATTRIBUTE)
        return parse_json_body(read_limited(stream, body_limit(context.get("view"))))
