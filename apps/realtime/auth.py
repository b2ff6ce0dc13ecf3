"""Websocket authentication and Origin checks.

A browser authenticates with its session cookie, and must send an allowed Origin (this is
what stops cross-site websocket hijacking). Other clients authenticate with `?token=`; they
may omit Origin, but one that sends a foreign Origin is refused like a browser would be.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from apps.accounts.selectors import user_for_token


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


class WebsocketAuthMiddleware:
    def __init__(self, inner) -> None:
        self.inner = inner
        self.session_stack = AuthMiddlewareStack(inner)

    def _origin_allowed(self, origin: str) -> bool:
        allowed = settings.ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]"]
        return OriginValidator(None, allowed).valid_origin(urlparse(origin))

    async def __call__(self, scope, receive, send):
        origin = _header(scope, b"origin")
        if origin is not None and not self._origin_allowed(origin):
            return await WebsocketDenier()(scope, receive, send)
        token = parse_qs(scope.get("query_string", b"").decode("latin1")).get("token", [None])[0]
        if token:
            user = await database_sync_to_async(user_for_token)(raw=token)
            return await self.inner({**scope, "user": user or AnonymousUser()}, receive, send)
        if origin is None:
            # No Origin means not a browser: cookies alone are not accepted.
            return await self.inner({**scope, "user": AnonymousUser()}, receive, send)
        return await self.session_stack(scope, receive, send)
