from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.activity.presenters import person_to_dict

from .. import services
from . import schema  # noqa: F401 (registers the authentication scheme)


class MeApi(APIView):
    """The signed-in user."""

    @extend_schema(responses=dict)
    def get(self, request: Request) -> Response:
        return Response(person_to_dict(request.user))


class AvatarInput(serializers.Serializer):
    avatar = serializers.FileField(help_text="JPEG, PNG, GIF or WebP, at most 5 MiB; stored as 256×256 PNG.")


class AvatarApi(APIView):
    """Upload (PUT, multipart field `avatar`) or remove (DELETE) my avatar; returns me."""

    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": AvatarInput}, responses=dict)
    def put(self, request: Request) -> Response:
        body = AvatarInput(data=request.data)
        body.is_valid(raise_exception=True)
        user = services.avatar_set(user=request.user, upload=body.validated_data["avatar"])
        return Response(person_to_dict(user))

    # The answer is the profile without its avatar (200), not an empty 204.
    @extend_schema(request=None, responses={200: dict})
    def delete(self, request: Request) -> Response:
        return Response(person_to_dict(services.avatar_clear(user=request.user)))
