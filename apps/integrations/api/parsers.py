"""Request parsing for event ingestion: the AS2 media types, on the API's guarded JSON parser."""

from __future__ import annotations

from apps.activity.api.parsers import GuardedJsonParser

from ..as2 import AS2_CONTEXT


class ActivityJsonParser(GuardedJsonParser):
    media_type = "application/activity+json"


class ActivityLdJsonParser(GuardedJsonParser):
    media_type = f'application/ld+json; profile="{AS2_CONTEXT}"'


EVENT_PARSERS = [ActivityJsonParser, ActivityLdJsonParser, GuardedJsonParser]
