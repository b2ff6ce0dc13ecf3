from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors
from .pagination import FeedFilterQuerySerializer, FeedPageSerializer, feed_page_response, parse_feed_query


class NewsFeedApi(APIView):
    """My news feed: what I follow, newest first."""

    @extend_schema(parameters=[FeedFilterQuerySerializer], responses=FeedPageSerializer)
    def get(self, request: Request) -> Response:
        query = parse_feed_query(request)
        page = selectors.news_feed(user=request.user, **query)
        return Response(feed_page_response(request, page))
