"""Feed pages in the Activity Streams `OrderedCollectionPage` shape, keyset-paginated."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from rest_framework import serializers
from rest_framework.request import Request

from .. import registry
from ..presenters import activity_to_dict
from ..selectors import FeedPage


class FeedQuerySerializer(serializers.Serializer):
    before = serializers.IntegerField(required=False, min_value=1, help_text="Cursor: items older than this.")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100)


def parse_feed_query(request: Request) -> dict[str, Any]:
    query = FeedQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


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
