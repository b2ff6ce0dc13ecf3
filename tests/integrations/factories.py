"""Integrations and keys go through the services, so keys are hashed exactly as in production."""

from __future__ import annotations

from collections.abc import Iterable

from apps.accounts.models import User
from apps.integrations.models import IntegrationApp
from apps.integrations.services.keys import IssuedKey, api_key_create, integration_create
from tests.accounts.factories import UserFactory

_counter = iter(range(1, 1_000_000))


def make_integration(*, name: str | None = None, owner: User | None = None) -> IntegrationApp:
    return integration_create(name=name or f"CRM sync {next(_counter)}", owner=owner or UserFactory())


def make_key(
    *, integration: IntegrationApp | None = None, scopes: Iterable[str] = ("events:write", "feeds:read")
) -> IssuedKey:
    return api_key_create(integration=integration or make_integration(), name="sync", scopes=scopes)
