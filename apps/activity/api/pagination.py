"""Feed pages in the Activity Streams `OrderedCollectionPage` shape, keyset-paginated."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from rest_framework import serializers
from rest_framework.request import Request

from .. import registry
from ..presenters import activity_to_dict
from ..selectors import NEWEST, SORTS, FeedFilter, FeedPage


class FeedQuerySerializer(serializers.Serializer):
    before = serializers.IntegerField(required=False, min_value=1, help_text="Cursor: items older than this.")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100)


class FeedFilterQuerySerializer(FeedQuerySerializer):
    """A feed page's cursor and size, plus optional filters."""

    verb = serializers.CharField(required=False, max_length=64, help_text='Only this verb, e.g. "Update".')
    actor = serializers.IntegerField(required=False, min_value=1, help_text="Only what this person did.")
    type = serializers.RegexField(
        r"^[a-z][a-z0-9_]{0,31}$", required=False, help_text='Only about this kind, e.g. "deal".'
    )
    since = serializers.DateTimeField(required=False, help_text="Published at or after (ISO 8601).")
    until = serializers.DateTimeField(required=False, help_text="Published before (ISO 8601).")
    sort = serializers.ChoiceField(
        choices=list(SORTS),
        required=False,
        default=NEWEST,
        help_text="`newest`: newest item first. `activity`: latest activity first (a comment bumps "
        "its post); the cursor is then an opaque sort key: pass `nextCursor` on.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "since" in attrs and "until" in attrs and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": "Must be after since."})
        return attrs


FILTER_PARAMS = {
    "verb": "verb",
    "actor": "actor_id",
    "type": "object_type",
    "since": "since",
    "until": "until",
}


def parse_feed_query(
    request: Request, serializer: type[FeedFilterQuerySerializer] = FeedFilterQuerySerializer
) -> dict[str, Any]:
    """`before`, `limit` and `sort`, plus `filters` (a FeedFilter) when any filter parameter was
    given, and whatever else `serializer` (a FeedFilterQuerySerializer) reads."""
    query = serializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    data = dict(query.validated_data)
    wanted = {field: data.pop(param) for param, field in FILTER_PARAMS.items() if param in data}
    if wanted:
        data["filters"] = FeedFilter(**wanted)
    return data


def hydrated_items(request: Request, activities: list) -> list[dict[str, Any]]:
    """Feed items as JSON, with every registered page hydrator applied to the page at once."""
    items = [activity_to_dict(a) for a in activities]
    for hydrate in registry.hydrators():
        hydrate(request.user, activities, items)
    return items


def feed_page_response(request: Request, page: FeedPage) -> dict[str, Any]:
    base = request.build_absolute_uri(request.path)
    params = {k: v for k, v in request.query_params.items() if k != "before"}
    next_url = None
    if page.next_cursor is not None:
        next_url = f"{base}?{urlencode({**params, 'before': page.next_cursor})}"
    return {
        "type": "OrderedCollectionPage",
        "id": request.build_absolute_uri(),
        "orderedItems": hydrated_items(request, page.items),
        "next": next_url,
        "nextCursor": page.next_cursor,
    }


class FeedPageSerializer(serializers.Serializer):
    """Schema only: documents the page shape for OpenAPI."""

    type = serializers.CharField(default="OrderedCollectionPage")
    id = serializers.URLField()
    orderedItems = serializers.ListField(child=serializers.DictField())  # noqa: N815
    next = serializers.URLField(allow_null=True)
    nextCursor = serializers.IntegerField(allow_null=True)  # noqa: N815
