"""Template context for the site navigation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from .selectors import integrations_manageable


def navigation(request: HttpRequest) -> dict[str, Callable[[], bool]]:
    """`can_manage_integrations`: a callable, so the check (one query for non-staff) runs only where
    a template asks, which is the top bar of a signed-in page."""
    user: Any = getattr(request, "user", None)
    return {
        "can_manage_integrations": lambda: bool(
            user is not None and user.is_authenticated and integrations_manageable(viewer=user)
        )
    }
