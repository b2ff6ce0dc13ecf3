"""Integration pages: integrations, their API keys and webhook subscriptions, managed in the browser.

Staff create integrations (one can act as any user through `actor`); an integration's owner, or
staff, manage its keys and webhooks. Secrets appear in the response that created them and nowhere
else, so those responses are not cached; everything else redirects back to the page (POST/redirect/GET).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from . import selectors
from .forms import ApiKeyForm, IntegrationForm, WebhookForm, service_errors_add
from .models import IntegrationApp, WebhookSubscription
from .services.keys import api_key_create, api_key_revoke, integration_create
from .services.webhooks import (
    webhook_redeliver,
    webhook_secret_rotate,
    webhook_subscription_create,
    webhook_subscription_delete,
)

RECENT_DELIVERIES = 5


@dataclass(frozen=True)
class Revealed:
    """A secret the page shows once: an API key's, or a webhook subscription's signing secret."""

    what: Literal["key", "webhook"]
    name: str
    secret: str


def _forbidden(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "integrations/forbidden.html", {"reason": reason}, status=403)


def _list_page(
    request: HttpRequest, *, form: IntegrationForm | None = None, status: int = 200
) -> HttpResponse:
    integrations = list(selectors.integration_list(viewer=request.user))
    if not request.user.is_staff and not integrations:
        return _forbidden(request, "Integrations are managed by their owners and by staff.")
    return render(
        request,
        "integrations/list.html",
        {"integrations": integrations, "form": form or IntegrationForm()},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def integration_list_page(request: HttpRequest) -> HttpResponse:
    """The integrations I own (staff: all); staff create one here."""
    if request.method == "GET":
        return _list_page(request)
    if not request.user.is_staff:
        return _forbidden(request, "Only staff create integrations: an integration can act as any user.")
    form = IntegrationForm(request.POST)
    if form.is_valid():
        try:
            integration = integration_create(name=form.cleaned_data["name"], owner=form.cleaned_data["owner"])
        except ValidationError as exc:
            service_errors_add(form, exc)
        else:
            return redirect("integration-page", integration.pk)
    return _list_page(request, form=form, status=400)


def _detail_page(
    request: HttpRequest,
    integration: IntegrationApp,
    *,
    status: int = 200,
    revealed: Revealed | None = None,
    key_form: ApiKeyForm | None = None,
    webhook_form: WebhookForm | None = None,
) -> HttpResponse:
    subscriptions = list(selectors.webhook_subscription_list(integration=integration))
    recent = selectors.webhook_recent_deliveries(subscriptions=subscriptions, limit=RECENT_DELIVERIES)
    response = render(
        request,
        "integrations/detail.html",
        {
            "integration": integration,
            "keys": list(selectors.api_key_list(integration=integration)),
            "subscriptions": [(s, recent[s.pk]) for s in subscriptions],
            "key_form": key_form or ApiKeyForm(),
            "webhook_form": webhook_form or WebhookForm(),
            "revealed": revealed,
        },
        status=status,
    )
    if revealed is not None:
        add_never_cache_headers(response)
    return response


@login_required
def integration_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One integration: its API keys, webhook subscriptions and their recent deliveries."""
    return _detail_page(request, selectors.access_integration(viewer=request.user, pk=pk))


@login_required
@require_POST
def api_key_create_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue a key; its secret is in this response only."""
    integration = selectors.access_integration(viewer=request.user, pk=pk)
    form = ApiKeyForm(request.POST)
    if form.is_valid():
        try:
            issued = api_key_create(
                integration=integration, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"]
            )
        except ValidationError as exc:
            service_errors_add(form, exc)
        else:
            return _detail_page(
                request,
                integration,
                status=201,
                revealed=Revealed(what="key", name=issued.key.name, secret=issued.secret),
            )
    return _detail_page(request, integration, status=400, key_form=form)


@login_required
@require_POST
def api_key_revoke_page(request: HttpRequest, pk: int, key_pk: int) -> HttpResponse:
    integration = selectors.access_integration(viewer=request.user, pk=pk)
    api_key_revoke(key=selectors.access_api_key(integration=integration, pk=key_pk))
    return redirect("integration-page", integration.pk)


def _revealed_webhook(subscription: WebhookSubscription) -> Revealed:
    return Revealed(what="webhook", name=subscription.url, secret=subscription.secret)


@login_required
@require_POST
def webhook_create_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Subscribe a URL; its signing secret is in this response only."""
    integration = selectors.access_integration(viewer=request.user, pk=pk)
    form = WebhookForm(request.POST)
    if form.is_valid():
        try:
            subscription = webhook_subscription_create(integration=integration, **form.cleaned_data)
        except ValidationError as exc:
            service_errors_add(form, exc)
        else:
            return _detail_page(request, integration, status=201, revealed=_revealed_webhook(subscription))
    return _detail_page(request, integration, status=400, webhook_form=form)


@login_required
@require_POST
def webhook_rotate_page(request: HttpRequest, pk: int, webhook_pk: int) -> HttpResponse:
    """A new signing secret, shown in this response only; the old one keeps signing for the grace period."""
    integration = selectors.access_integration(viewer=request.user, pk=pk)
    subscription = selectors.access_webhook(integration=integration, pk=webhook_pk)
    webhook_secret_rotate(subscription=subscription)
    return _detail_page(request, integration, revealed=_revealed_webhook(subscription))


@login_required
@require_POST
def webhook_delete_page(request: HttpRequest, pk: int, webhook_pk: int) -> HttpResponse:
    integration = selectors.access_integration(viewer=request.user, pk=pk)
    webhook_subscription_delete(subscription=selectors.access_webhook(integration=integration, pk=webhook_pk))
    return redirect("integration-page", integration.pk)


@login_required
@require_POST
def webhook_redeliver_page(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    integration = selectors.access_integration(viewer=request.user, pk=pk)
    webhook_redeliver(delivery=selectors.access_webhook_delivery(integration=integration, pk=delivery_pk))
    return redirect("integration-page", integration.pk)
