"""Structured logs: one JSON object per line (`LOG_FORMAT=json`) or plain text, with the request id,
Celery task id and user id of the work that logged, wherever they are known.

The ids live in context variables: `RequestContextMiddleware` sets them per HTTP request (taking
`X-Request-ID` from a proxy, or making one, and echoing it in the response), Celery signals per
task. A logging filter copies them onto every record, so any logger in any app carries them.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
task_id_var: ContextVar[str | None] = ContextVar("task_id", default=None)
user_id_var: ContextVar[int | None] = ContextVar("user_id", default=None)

CONTEXT_FIELDS = ("request_id", "task_id", "user_id")
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
# Attributes every LogRecord has; anything else was passed in `extra=` and is logged as a field.
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", *CONTEXT_FIELDS}


class ContextFilter(logging.Filter):
    """Puts the current request id, task id and user id on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.task_id = task_id_var.get()
        record.user_id = user_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, context ids, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        for name, value in vars(record).items():
            if name not in _STANDARD_ATTRS and not name.startswith("_"):
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The plain format, with whichever context ids are known appended."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(
            f"{name}={getattr(record, name)}" for name in CONTEXT_FIELDS if getattr(record, name, None)
        )
        return f"{line} [{context}]" if context else line


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """The LOGGING dict for settings: `json` or `text` on stderr, with the context filter."""
    formatter = "json" if log_format == "json" else "text"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "feedhub.logs.ContextFilter"}},
        "formatters": {
            "json": {"()": "feedhub.logs.JsonFormatter"},
            "text": {
                "()": "feedhub.logs.TextFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            },
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": formatter, "filters": ["context"]}
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.request": {"level": "ERROR"},
            "celery.app.trace": {"level": "WARNING"},
        },
    }


class RequestContextMiddleware:
    """Gives each request an id (the proxy's `X-Request-ID` when well-formed) for its log lines and
    echoes it as `X-Request-ID`; records the user id once authentication has run."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request_token = request_id_var.set(request_id)
        user_token = user_id_var.set(None)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(request_token)
            user_id_var.reset(user_token)
        response["X-Request-ID"] = request_id
        return response

    def process_view(self, request: HttpRequest, *args: Any) -> None:
        try:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                user_id_var.set(user.pk)
        except DatabaseError:
            # Loading the session's user needs the database. Raised here, outside any view, the
            # outage would be a bare 500; the view meets it again and answers 503.
            pass


def set_user_id(user_id: int | None) -> None:
    """For code that authenticates after the middleware has run (DRF token authentication)."""
    user_id_var.set(user_id)
