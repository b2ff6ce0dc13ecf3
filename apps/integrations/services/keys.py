"""Integration apps, their API keys and external object links."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.services import token_digest
from apps.activity import registry

from ..models import ApiKey, ExternalObject, IntegrationApp, Scope

KEY_PREFIX = "fh_live_"  # noqa: S105 (a public prefix, not a secret)


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str


def integration_create(*, name: str, owner: User) -> IntegrationApp:
    """Register an integration. Its owner is the viewer whose visibility the integration reads with."""
    integration = IntegrationApp(name=name, owner=owner)
    integration.full_clean()
    integration.save()
    return integration


def api_key_scopes_clean(scopes: Iterable[str]) -> list[str]:
    """The scopes, deduplicated; ValidationError for unknown ones or none at all."""
    wanted = list(dict.fromkeys(scopes))
    unknown = [s for s in wanted if s not in Scope.values]
    if unknown:
        raise ValidationError(
            {"scopes": [f"Unknown scope {s!r}; one of {', '.join(Scope.values)}." for s in unknown]}
        )
    if not wanted:
        raise ValidationError({"scopes": ["A key needs at least one scope."]})
    return wanted


@transaction.atomic
def api_key_create(*, integration: IntegrationApp, name: str, scopes: Iterable[str]) -> IssuedKey:
    """Issue an API key with the given scopes. The returned secret is never retrievable again."""
    clean = api_key_scopes_clean(scopes)
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        integration=integration,
        name=name,
        prefix=secret[: len(KEY_PREFIX) + 4],
        digest=token_digest(secret),
        scopes=clean,
    )
    return IssuedKey(key=key, secret=secret)


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    """Revoke a key; it stops authenticating at once. Revoking twice keeps the first time."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def external_object_link(
    *, integration: IntegrationApp, external_id: str, stream: str, name: str = ""
) -> ExternalObject:
    """Map an integration's object id to a feedhub stream (idempotent: relinking moves it)."""
    prefix, object_id = registry.split_stream(stream)
    if registry.kind_for(prefix) is None or not object_id:
        raise ValidationError({"stream": [f"Unknown stream {stream!r}."]})
    link, _ = ExternalObject.objects.update_or_create(
        integration=integration, external_id=external_id, defaults={"stream": stream, "name": name}
    )
    return link
