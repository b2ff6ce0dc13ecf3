from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.activity.presenters import person_to_dict

from . import schema  # noqa: F401 (registers the authentication scheme)


class MeApi(APIView):
    """The signed-in user."""

    @extend_schema(responses=dict)
    def get(self, request: Request) -> Response:
        return Response(person_to_dict(request.user))
