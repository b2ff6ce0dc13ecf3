"""Webhook subscription management for integrations (scope `webhooks:manage`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from .. import selectors
from ..models import Scope, WebhookDelivery, WebhookSubscription
from ..services.webhooks import (
    webhook_redeliver,
    webhook_secret_rotate,
    webhook_subscription_create,
    webhook_subscription_delete,
)
from .views import IntegrationApi


class SubscriptionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    record_types = serializers.ListField(child=serializers.CharField())
    verbs = serializers.ListField(child=serializers.CharField())
    streams = serializers.ListField(child=serializers.CharField())
    is_active = serializers.BooleanField()
    disabled_reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class SubscriptionWithSecretOutput(SubscriptionOutput):
    secret = serializers.CharField(help_text="whsec_…: verify signatures with it. Shown only here.")


def _subscription(subscription: WebhookSubscription, *, with_secret: bool = False) -> dict[str, Any]:
    data = SubscriptionOutput(subscription).data
    if with_secret:
        data["secret"] = subscription.secret
    return data


def _delivery(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "webhook_id": delivery.webhook_id,
        "activity_id": delivery.activity_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at.isoformat() if delivery.next_attempt_at else None,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "log": [
            {
                "at": a.attempted_at.isoformat(),
                "status_code": a.status_code,
                "error": a.error,
                "duration_ms": a.duration_ms,
            }
            for a in delivery.attempt_log.all()
        ],
    }


class WebhookListCreateApi(IntegrationApi):
    """List this integration's webhook subscriptions, or subscribe a URL."""

    required_scopes = (Scope.WEBHOOKS_MANAGE,)

    class InputSerializer(serializers.Serializer):
        url = serializers.URLField(max_length=500)
        record_types = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
        verbs = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
        streams = serializers.ListField(child=serializers.CharField(max_length=100), required=False)

    @extend_schema(operation_id="webhooks_list", responses=SubscriptionOutput(many=True))
    def get(self, request: Request) -> Response:
        rows = selectors.webhook_subscription_list(integration=request.auth.integration)
        return Response([_subscription(s) for s in rows])

    @extend_schema(
        operation_id="webhooks_create", request=InputSerializer, responses={201: SubscriptionWithSecretOutput}
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = webhook_subscription_create(
            integration=request.auth.integration, **data.validated_data
        )
        return Response(_subscription(subscription, with_secret=True), status=status.HTTP_201_CREATED)


class WebhookDeleteApi(IntegrationApi):
    """Remove a subscription (its pending deliveries go with it)."""

    required_scopes = (Scope.WEBHOOKS_MANAGE,)

    @extend_schema(operation_id="webhooks_destroy", responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        subscription = selectors.access_webhook(integration=request.auth.integration, pk=pk)
        webhook_subscription_delete(subscription=subscription)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateSecretApi(IntegrationApi):
    """Issue a new signing secret; the old one also signs for 24 h so receivers can switch."""

    required_scopes = (Scope.WEBHOOKS_MANAGE,)

    @extend_schema(
        operation_id="webhooks_rotate_secret", request=None, responses=SubscriptionWithSecretOutput
    )
    def post(self, request: Request, pk: int) -> Response:
        subscription = selectors.access_webhook(integration=request.auth.integration, pk=pk)
        return Response(_subscription(webhook_secret_rotate(subscription=subscription), with_secret=True))


class WebhookDeliveryListApi(IntegrationApi):
    """The delivery log of a subscription, newest first (`?before=<delivery id>`)."""

    required_scopes = (Scope.WEBHOOKS_MANAGE,)

    @extend_schema(
        operation_id="webhooks_deliveries",
        responses=inline_serializer(
            "DeliveryPage",
            {
                "results": serializers.ListField(child=serializers.DictField()),
                "next": serializers.IntegerField(),
            },
        ),
    )
    def get(self, request: Request, pk: int) -> Response:
        subscription = selectors.access_webhook(integration=request.auth.integration, pk=pk)
        before = request.query_params.get("before")
        if before is not None and not before.isdigit():
            raise serializers.ValidationError({"before": ["Must be a delivery id."]})
        page = selectors.webhook_delivery_list(
            subscription=subscription, before=int(before) if before else None, limit=21
        )
        more = len(page) > 20
        page = page[:20]
        return Response({"results": [_delivery(d) for d in page], "next": page[-1].pk if more else None})


class WebhookRedeliverApi(IntegrationApi):
    """Send a delivery again now, with the same `webhook-id`."""

    required_scopes = (Scope.WEBHOOKS_MANAGE,)

    @extend_schema(
        operation_id="webhooks_redeliver",
        request=None,
        responses={202: OpenApiResponse(description="Queued.")},
    )
    def post(self, request: Request, pk: int) -> Response:
        delivery = selectors.access_webhook_delivery(integration=request.auth.integration, pk=pk)
        webhook_redeliver(delivery=delivery)
        return Response({"id": delivery.pk, "status": delivery.status}, status=status.HTTP_202_ACCEPTED)
