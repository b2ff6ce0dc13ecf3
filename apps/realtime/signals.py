"""Account events that end live sockets: a logout ends its session's sockets, deactivation all of them."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .push import push_session_end


def on_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None and getattr(request, "session", None) is not None:
        # The session key is gone once logout flushes the session; it was saved before by the
        # `user_logged_out` sender (Django sends the signal before flushing).
        push_session_end(user.pk, session_key=request.session.session_key, reason="signed_out")


def on_user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if not created and not instance.is_active:
        user_id = instance.pk
        transaction.on_commit(lambda: push_session_end(user_id, reason="deactivated"))
