"""Template context for the site navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .selectors import integrations_manageable


def navigation(request: HttpRequest) -> dict[str, Any]:
    """`can_manage_integrations`, a callable: templates call it (one query for non-staff) only
    where the navigation is rendered, for a signed-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"can_manage_integrations": False}
    return {"can_manage_integrations": lambda: integrations_manageable(viewer=user)}
