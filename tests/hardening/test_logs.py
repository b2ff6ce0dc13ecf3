"""Structured logs: one JSON object per line carrying level, logger, message and context ids."""

import json
import logging

import pytest
from django.http import HttpResponse

from feedhub.celery import _task_context, _task_context_end
from feedhub.logs import (
    ContextFilter,
    JsonFormatter,
    RequestContextMiddleware,
    TextFormatter,
    logging_config,
    task_id_var,
)

pytestmark = pytest.mark.django_db


class _Capture(logging.Handler):
    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__()
        self.setFormatter(formatter)
        self.addFilter(ContextFilter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def json_lines():
    handler = _Capture(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler.lines
    root.removeHandler(handler)


def test_a_request_logs_json_with_its_request_id_and_user_id(rf, user, json_lines):
    def view(request):
        middleware.process_view(request, view, (), {})
        logging.getLogger("apps.records").info("deal %s changed", 42)
        return HttpResponse("ok")

    middleware = RequestContextMiddleware(view)
    request = rf.get("/api/v1/deals/42/", HTTP_X_REQUEST_ID="req-abc-123")
    request.user = user

    response = middleware(request)
    logging.getLogger("feedhub.test").info("outside any request")

    assert response["X-Request-ID"] == "req-abc-123"
    inside = json.loads(json_lines[-2])
    assert inside == {
        "time": inside["time"],
        "level": "INFO",
        "logger": "apps.records",
        "message": "deal 42 changed",
        "request_id": "req-abc-123",
        "user_id": user.pk,
    }
    outside = json.loads(json_lines[-1])
    assert outside["message"] == "outside any request"
    assert "request_id" not in outside
    assert "user_id" not in outside


def test_a_malformed_incoming_request_id_is_replaced(api, user):
    api.force_login(user)

    response = api.get("/api/v1/me/", HTTP_X_REQUEST_ID="bad id\nwith newline")

    assert response["X-Request-ID"] != "bad id\nwith newline"
    assert len(response["X-Request-ID"]) == 32


def test_task_lines_carry_the_task_id_and_extras_become_fields(json_lines):
    _task_context(task_id="task-42")
    try:
        logging.getLogger("apps.activity").warning("fan-out slow", extra={"activity_id": 7})
    finally:
        _task_context_end()

    line = json.loads(json_lines[-1])
    assert line == {
        "time": line["time"],
        "level": "WARNING",
        "logger": "apps.activity",
        "message": "fan-out slow",
        "task_id": "task-42",
        "activity_id": 7,
    }
    assert task_id_var.get() is None


def test_text_format_appends_known_ids():
    record = logging.makeLogRecord({"name": "x", "levelname": "INFO", "msg": "hello"})
    ContextFilter().filter(record)
    record.request_id = "r1"

    line = TextFormatter("%(levelname)s %(name)s %(message)s").format(record)

    assert line == "INFO x hello [request_id=r1]"


def test_log_format_setting_picks_the_formatter():
    assert logging_config(log_format="json", level="INFO")["handlers"]["console"]["formatter"] == "json"
    assert logging_config(log_format="text", level="INFO")["handlers"]["console"]["formatter"] == "text"
