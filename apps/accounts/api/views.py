from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.activity import selectors as activity_selectors
from apps.activity.api.pagination import (
    FeedPageSerializer,
    FeedQuerySerializer,
    feed_page_response,
    parse_feed_query,
)
from apps.activity.presenters import person_to_dict

from .. import selectors


class MeApi(APIView):
    """The signed-in user."""

    @extend_schema(responses=dict)
    def get(self, request: Request) -> Response:
        return Response(person_to_dict(request.user))


class PersonFeedApi(APIView):
    """What one person did (their `user:<id>` stream), newest first, filtered to what I may see."""

    @extend_schema(parameters=[FeedQuerySerializer], responses=FeedPageSerializer)
    def get(self, request: Request, pk: int) -> Response:
        person = selectors.person_get(viewer=request.user, pk=pk)
        query = parse_feed_query(request)
        page = activity_selectors.stream_feed(stream=person.stream_key, viewer=request.user, **query)
        return Response(feed_page_response(request, page))
