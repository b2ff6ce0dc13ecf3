"""OpenAPI post-processing: every operation documents the JSON errors it can answer with.

The exception handler (`apps.activity.api.errors`) gives every endpoint the same error shape and
the same failure modes (bad input, no or bad credentials, a missing scope, an invisible object,
a database outage), so they are declared once here instead of on each view.
"""

from __future__ import annotations

from typing import Any

ERROR_COMPONENT = "Error"

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every API error: a stable code, a human message and, for input errors, the "
    "offending fields by JSON path.",
    "properties": {
        "error": {"type": "string", "example": "validation_error"},
        "detail": {"type": "string", "example": "Invalid input."},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["error", "detail"],
}

_ALWAYS = {
    "400": "Malformed or invalid input; `fields` names each offending field.",
    "401": "Missing, malformed or invalid credentials.",
    "403": "Authenticated, but not allowed (e.g. an API key without the required scope).",
    "404": "No such object, or not visible to the caller.",
    "405": "Method not allowed.",
    "503": "The database is unavailable; retry after `Retry-After` seconds.",
}
_WITH_BODY = {
    "413": "Request body too large.",
    "415": "Unsupported media type.",
}
_THROTTLED = {"429": "Rate limited; retry after `Retry-After` seconds."}
_BODY_METHODS = {"post", "put", "patch"}


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}},
    }


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict:
    """drf-spectacular postprocessing hook: add the shared error responses to every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            errors = dict(_ALWAYS)
            if method in _BODY_METHODS:
                errors.update(_WITH_BODY)
            if any("integrationApiKey" in requirement for requirement in operation.get("security", [])):
                errors.update(_THROTTLED)
            responses = operation["responses"]
            for code, description in errors.items():
                existing = responses.get(code)
                if existing is None:
                    responses[code] = _error_response(description)
                elif "content" not in existing:
                    responses[code] = _error_response(existing.get("description") or description)
    return result


def allow_empty_optional_query_values(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict:
    """drf-spectacular postprocessing hook: optional query parameters accept an empty value.

    The query serializers read a query string the way DRF reads a form: an optional parameter
    given empty (`?verb=`, as an HTML form sends an unfilled field) counts as not given. Say so,
    so clients and schema-driven tools know `?until=` is not an error.
    """
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    return result
