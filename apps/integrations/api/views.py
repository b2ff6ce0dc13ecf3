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

from apps.activity.api.errors import error_body
from apps.activity.models import Activity

from ..authentication import ApiKeyAuthentication, ApiKeyRateThrottle, HasScopes
from ..models import Scope
from ..presenters import activity_to_as2
from ..services.events import EventOutcome, event_ingest, event_ingest_batch
from . import schema  # noqa: F401 (registers the authentication scheme)
from .parsers import EVENT_PARSERS, PayloadTooLarge

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Makes a retry safe: the same key and body replay the first response (kept at least 24 h).",
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
    default_detail = "This Idempotency-Key was already used with a different request body."
    default_code = "idempotency_key_reused"


class IntegrationApi(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasScopes]
    throttle_classes = [ApiKeyRateThrottle]
    parser_classes = EVENT_PARSERS
    required_scopes: tuple[str, ...] = ()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # Refuse an announced oversize body before reading a byte of it.
        limit = settings.FEEDHUB_INTEGRATIONS[getattr(self, "body_limit_setting", "MAX_EVENT_BYTES")]
        try:
            announced = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            announced = 0
        if announced > limit:
            raise PayloadTooLarge(f"Request body exceeds {limit} bytes.")


def _absolute(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "id": request.build_absolute_uri(body["id"])}


def _outcome_item(request: Request, index: int, outcome: EventOutcome) -> dict[str, Any]:
    item: dict[str, Any] = {"index": index, "status": outcome.status}
    if outcome.errors is not None:
        item.update(error_body("validation_error", "Invalid input.", outcome.errors))
    elif outcome.error_code:
        item.update(error_body(outcome.error_code, AlreadyUsedKey.default_detail))
    else:
        item["replayed"] = outcome.replayed
        item["activity"] = _absolute(request, outcome.body or {})
    return item


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
        key = request.headers.get("Idempotency-Key") or None
        if key is not None and len(key) > 255:
            raise exceptions.ValidationError({"Idempotency-Key": ["At most 255 characters."]})
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


class EventBatchCreateApi(IntegrationApi):
    """Post up to MAX_BATCH_ITEMS activities at once: an OrderedCollection or a JSON list."""

    required_scopes = (Scope.EVENTS_WRITE,)
    body_limit_setting = "MAX_BATCH_BYTES"

    @extend_schema(
        operation_id="events_batch_create",
        request={"application/activity+json": OpenApiTypes.OBJECT, "application/json": OpenApiTypes.OBJECT},
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="One result per item, in order: `{index, status, activity}` or "
                "`{index, status, error, detail, fields}`.",
            ),
            400: OpenApiResponse(description="Not a collection, or too many items."),
            413: OpenApiResponse(description="Body too large."),
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
        outcomes = event_ingest_batch(api_key=request.auth, items=items)
        results = [_outcome_item(request, index, outcome) for index, outcome in enumerate(outcomes)]
        return Response(
            {
                "type": "OrderedCollection",
                "totalItems": len(results),
                "succeeded": sum(1 for o in outcomes if o.ok),
                "failed": sum(1 for o in outcomes if not o.ok),
                "results": results,
            },
            status=status.HTTP_200_OK,
        )


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
        if activity is None:
            raise Http404
        body = _absolute(request, activity_to_as2(activity, integration))
        return Response(body, content_type="application/activity+json")
