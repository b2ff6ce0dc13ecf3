"""API-key authentication and scope permissions for integration endpoints."""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.request import Request

from .models import ApiKey
from .selectors import api_key_for_secret


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer fh_live_...`. The request's user is the integration's owner; `auth` the key.

    Only mounted on integration endpoints, so a key never reaches an endpoint that does not check scopes.
    """

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode("latin1").lower() != "bearer":
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Malformed API key.") from exc
        key = api_key_for_secret(raw=raw)
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        return (key.integration.owner, key)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="integrations"'


class HasScopes(permissions.BasePermission):
    """Grants access when the request carries an API key holding every scope the view names."""

    message = "This API key lacks a required scope."

    def has_permission(self, request: Request, view: Any) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return False
        required = set(getattr(view, "required_scopes", ()))
        if not key.has_scopes(required):
            self.message = (
                f"This API key lacks the scope(s): {', '.join(sorted(required - set(key.scopes)))}."
            )
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
