"""Request parsing for event ingestion: AS2 media types and a body-size ceiling (413)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework import exceptions, parsers, status

from ..as2 import AS2_CONTEXT


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


class _LimitedJsonParser(parsers.BaseParser):
    limit_setting = "MAX_EVENT_BYTES"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        limit = settings.FEEDHUB_INTEGRATIONS[self.limit_setting]
        view = (parser_context or {}).get("view")
        if view is not None:
            limit = settings.FEEDHUB_INTEGRATIONS[getattr(view, "body_limit_setting", self.limit_setting)]
        body = read_limited(stream, limit)
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise exceptions.ParseError(f"JSON parse error: {exc}") from exc


class ActivityJsonParser(_LimitedJsonParser):
    media_type = "application/activity+json"


class ActivityLdJsonParser(_LimitedJsonParser):
    media_type = f'application/ld+json; profile="{AS2_CONTEXT}"'


class PlainJsonParser(_LimitedJsonParser):
    media_type = "application/json"


EVENT_PARSERS = [ActivityJsonParser, ActivityLdJsonParser, PlainJsonParser]
