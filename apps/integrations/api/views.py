"""Event ingestion endpoints for integrations (API keys only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.activity import registry
from apps.activity.models import Activity

from ..authentication import ApiKeyAuthentication, ApiKeyRateThrottle, HasScopes
from ..models import Scope
from ..presenters import activity_to_as2
from ..services.events import (
    BATCH_KEY_PREFIX,
    KEY_REUSED_DETAIL,
    event_batch_ingest,
    event_ingest,
    request_hash,
)
from . import schema  # noqa: F401 (registers the authentication scheme)
from .parsers import EVENT_PARSERS

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Makes a retry safe: the same key and body replay the first response (kept at least 24 h).",
)

BATCH_IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Makes a retry of the whole batch safe: the same key and body replay the first response; "
    "each item's AS2 `id` still deduplicates that item on its own.",
)

EVENT_EXAMPLE = OpenApiExample(
    "Deal stage changed",
    value={
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "crm-evt-1001",
        "type": "Update",
        "actor": {"type": "Person", "email": "dana@example.com"},
        "object": {"id": "feedhub:deal:42"},
        "summary": "Dana moved ACME rebrand to Negotiation",
        "feedhub:changes": [{"field": "stage", "old": "proposal", "new": "negotiation"}],
    },
    request_only=True,
)


class AlreadyUsedKey(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = KEY_REUSED_DETAIL
    default_code = "idempotency_key_reused"


def _idempotency_key(request: Request, limit: int = 255) -> str | None:
    key = request.headers.get("Idempotency-Key") or None
    if key is not None and len(key) > limit:
        raise exceptions.ValidationError({"Idempotency-Key": [f"At most {limit} characters."]})
    return key


class IntegrationApi(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasScopes]
    throttle_classes = [ApiKeyRateThrottle]
    parser_classes = EVENT_PARSERS
    required_scopes: tuple[str, ...] = ()


def _absolute(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "id": request.build_absolute_uri(body["id"])}


def _absolute_batch(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    results = [
        {**item, "activity": _absolute(request, item["activity"])} if "activity" in item else item
        for item in body["results"]
    ]
    return {**body, "results": results}


class EventCreateApi(IntegrationApi):
    """Post one Activity Streams 2.0 activity from an integration."""

    required_scopes = (Scope.EVENTS_WRITE,)
    body_limit_setting = "MAX_EVENT_BYTES"

    @extend_schema(
        operation_id="events_create",
        request={
            "application/activity+json": OpenApiTypes.OBJECT,
            "application/ld+json": OpenApiTypes.OBJECT,
            "application/json": OpenApiTypes.OBJECT,
        },
        parameters=[IDEMPOTENCY_HEADER],
        examples=[EVENT_EXAMPLE],
        responses={
            201: OpenApiResponse(OpenApiTypes.OBJECT, description="The created activity (AS2)."),
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="A replay of an earlier request."),
            400: OpenApiResponse(description="Invalid activity; `fields` names JSON paths."),
            413: OpenApiResponse(description="Body too large."),
            415: OpenApiResponse(description="Unsupported media type."),
            422: OpenApiResponse(description="Idempotency key reused with another body."),
            429: OpenApiResponse(description="Rate limited; see Retry-After."),
        },
    )
    def post(self, request: Request) -> Response:
        key = _idempotency_key(request)
        outcome = event_ingest(api_key=request.auth, data=request.data, idempotency_key=key)
        if outcome.errors is not None:
            raise exceptions.ValidationError(outcome.errors)
        if outcome.error_code:
            raise AlreadyUsedKey()
        body = _absolute(request, outcome.body or {})
        headers = {"Location": body["id"]}
        if outcome.replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(
            body, status=outcome.status, headers=headers, content_type="application/activity+json"
        )


# An OrderedCollection or a bare list; each item is validated on its own and answered in its own
# result, so the items are documented as any JSON value rather than refused as a whole.
BATCH_BODY = {
    "oneOf": [
        {
            "type": "object",
            "description": "An `OrderedCollection` with `orderedItems` (or `items`).",
            "properties": {"type": {"type": "string", "enum": ["OrderedCollection", "Collection"]}},
            "required": ["type"],
        },
        {"type": "array", "description": "A JSON list of activities.", "items": {}},
    ]
}


class EventBatchCreateApi(IntegrationApi):
    """Post up to MAX_BATCH_ITEMS activities at once: an OrderedCollection or a JSON list."""

    required_scopes = (Scope.EVENTS_WRITE,)
    body_limit_setting = "MAX_BATCH_BYTES"

    @extend_schema(
        operation_id="events_batch_create",
        request={"application/activity+json": BATCH_BODY, "application/json": BATCH_BODY},
        parameters=[BATCH_IDEMPOTENCY_HEADER],
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="One result per item, in order: `{index, status, activity}` or "
                "`{index, status, error, detail, fields}`.",
            ),
            400: OpenApiResponse(description="Not a collection, or too many items."),
            413: OpenApiResponse(description="Body too large."),
            422: OpenApiResponse(description="Idempotency key reused with another body."),
        },
    )
    def post(self, request: Request) -> Response:
        data = request.data
        if isinstance(data, dict):
            if data.get("type") not in ("OrderedCollection", "Collection"):
                raise exceptions.ValidationError({"type": ["Expected an OrderedCollection."]})
            items = data.get("orderedItems", data.get("items"))
            path = "orderedItems" if "orderedItems" in data else "items"
        else:
            items, path = data, "non_field_errors"
        if not isinstance(items, list):
            raise exceptions.ValidationError({path: ["Expected a list of activities."]})
        limit = settings.FEEDHUB_INTEGRATIONS["MAX_BATCH_ITEMS"]
        if len(items) > limit:
            raise exceptions.ValidationError({path: [f"At most {limit} activities per batch."]})
        outcome = event_batch_ingest(
            api_key=request.auth,
            items=items,
            # Stored keys hold 255 characters, batch keys with their namespace prefix.
            idempotency_key=_idempotency_key(request, limit=255 - len(BATCH_KEY_PREFIX)),
            request_digest=request_hash(data),
        )
        if outcome.error_code:
            raise AlreadyUsedKey()
        headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
        return Response(_absolute_batch(request, outcome.body or {}), status=outcome.status, headers=headers)


class EventDetailApi(IntegrationApi):
    """One activity this integration posted, in AS2 shape (the `Location` of a created event)."""

    required_scopes = (Scope.FEEDS_READ,)

    @extend_schema(operation_id="events_retrieve", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, activity_id: int) -> Response:
        integration = request.auth.integration
        activity = (
            Activity.objects.select_related("actor")
            .filter(pk=activity_id, source_client=str(integration.pk))
            .first()
        )
        # What the integration posted is still subject to its owner's access (a record made private since).
        if activity is None or not registry.visible_activities(request.user, [activity]):
            raise Http404
        body = _absolute(request, activity_to_as2(activity, integration))
        return Response(body, content_type="application/activity+json")
