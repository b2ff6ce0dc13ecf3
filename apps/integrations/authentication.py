"""API-key authentication and scope permissions.

Integration endpoints accept only keys (`ApiKeyAuthentication`). Other endpoints accept a key too
(`KeyOnlyIfPrefixedAuthentication`, first in the default list) but only where the view declares
which scope each method needs (`api_key_scopes`); everywhere else a key is refused with 403, so a
key never reaches an endpoint that does not check its scopes.
"""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.request import Request

from apps.accounts.authentication import bearer_credential
from feedhub.logs import set_user_id

from .models import ApiKey
from .selectors import api_key_for_secret
from .services.keys import KEY_PREFIX


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer fh_live_...`. The request's user is the integration's owner; `auth` the key."""

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        raw = bearer_credential(request)
        if raw is None:
            return None
        key = api_key_for_secret(raw=raw)
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        set_user_id(key.integration.owner_id)
        return (key.integration.owner, key)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="integrations"'


class KeyOnlyIfPrefixedAuthentication(ApiKeyAuthentication):
    """Authenticates `fh_live_` keys and leaves every other credential to the next authenticator."""

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        raw = bearer_credential(request)
        if raw is None or not raw.startswith(KEY_PREFIX):
            return None
        return super().authenticate(request)


def _missing_scopes(key: ApiKey, required: set[str]) -> str | None:
    if key.has_scopes(required):
        return None
    return f"This API key lacks the scope(s): {', '.join(sorted(required - set(key.scopes)))}."


class HasScopes(permissions.BasePermission):
    """Grants access when the request carries an API key holding every scope the view names."""

    message = "This API key lacks a required scope."
    code = "insufficient_scope"

    def has_permission(self, request: Request, view: Any) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return False
        missing = _missing_scopes(key, set(getattr(view, "required_scopes", ())))
        if missing:
            self.message = missing
            return False
        return True


class ApiKeyScopes(permissions.BasePermission):
    """For requests made with an API key: the scope the view declares for the method is required.

    A view opts in with `api_key_scopes = {"GET": "records:read", ...}`; a method it does not
    name (or a view without the attribute) refuses keys.
    """

    message = "API keys are not accepted on this endpoint."
    code = "api_key_not_accepted"

    def has_permission(self, request: Request, view: Any) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return True
        scope = getattr(view, "api_key_scopes", {}).get(request.method)
        if scope is None:
            return False
        self.code = "insufficient_scope"
        missing = _missing_scopes(key, {scope})
        if missing:
            self.message = missing
            return False
        return True


class ApiKeyRateThrottle(throttling.SimpleRateThrottle):
    """Per-key request rate, counted in the shared cache (so every web process sees the same count)."""

    scope = "api_key"

    def get_rate(self) -> str | None:
        from django.conf import settings

        return settings.FEEDHUB_INTEGRATIONS["RATE_LIMIT"]

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
