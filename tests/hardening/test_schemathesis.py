"""Schemathesis against the project's own OpenAPI schema: every operation, through the WSGI app.

Each operation is exercised with a personal token, or an integration key holding every scope
where the schema says the operation takes one. 0 server errors, 0 undocumented status codes,
0 response bodies or headers that disagree with the schema.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from apps.accounts.services import api_token_create
from apps.integrations.models import Scope
from tests.accounts.factories import UserFactory
from tests.integrations.factories import make_integration, make_key
from tests.records.factories import make_deal


def _load_schema(mode: GenerationMode) -> schemathesis.schemas.BaseSchema:
    raw = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))
    schema = schemathesis.openapi.from_dict(raw)
    schema.config.generation.update(modes=[mode])
    schema.app = get_wsgi_application()
    return schema


schema = _load_schema(GenerationMode.POSITIVE)
# Requests that break the schema (wrong types, missing fields, out-of-range values, unknown enum
# members): each must be refused with a documented 4xx, never accepted and never a 500.
invalid_input_schema = _load_schema(GenerationMode.NEGATIVE)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture
def _keep_test_connection():
    """As Django's test client does: the raw WSGI handler would close the test's DB connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def credentials(db, _keep_test_connection):
    """A person with a personal token and an integration (owned by them) with an all-scope key."""
    user = UserFactory(password=None)  # hashing a password would cost ~1 s per operation
    make_deal(owner=user)
    token = api_token_create(user=user, name="schemathesis").secret
    key = make_key(integration=make_integration(owner=user), scopes=[s.value for s in Scope]).secret
    return {"personalToken": token, "integrationApiKey": key}


def examples(count: int):
    """Hypothesis settings for one operation: `count` reproducible examples, no deadline."""
    return settings(
        max_examples=count,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


def _bearer_for(case, credentials: dict[str, str]) -> str:
    """The personal token wherever it is accepted; the key on endpoints that take only keys."""
    security = case.operation.definition.raw.get("security") or [{"personalToken": []}]
    schemes = {name for requirement in security for name in requirement}
    scheme = "personalToken" if "personalToken" in schemes or not schemes & set(credentials) else ""
    return credentials[scheme or "integrationApiKey"]


@schema.parametrize()
@examples(25)
def test_api_operation_conforms_to_its_schema(case, credentials):
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {_bearer_for(case, credentials)}"}

    case.call_and_validate(checks=CHECKS)


NEGATIVE_CHECKS = [
    not_a_server_error,
    negative_data_rejection,
    status_code_conformance,
    content_type_conformance,
]


@invalid_input_schema.parametrize()
@examples(10)
def test_api_operation_rejects_input_that_breaks_its_schema(case, credentials):
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {_bearer_for(case, credentials)}"}

    case.call_and_validate(checks=NEGATIVE_CHECKS)
