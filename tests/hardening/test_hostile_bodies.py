"""Hostile request bodies on every write endpoint: a precise 4xx JSON error, and nothing written.

The endpoints are enumerated from the OpenAPI schema, so a new write endpoint is covered as soon
as it is routed. Path ids point at real objects the caller may act on, so a request reaches its
view rather than stopping at a 404.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.apps import apps
from django.db import connection
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from apps.accounts.services import api_token_create
from apps.activity.models import Activity
from apps.integrations.models import Scope, WebhookDelivery, WebhookSubscription
from apps.notifications.models import Notification
from apps.social.services import group_create, join_request_create
from tests.accounts.factories import UserFactory
from tests.integrations.factories import make_integration, make_key
from tests.notifications.factories import change_stage
from tests.records.factories import make_brief, make_deal
from tests.social.factories import make_comment, make_post

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch", "delete")


def _write_operations() -> list[tuple[str, str, bool, bool]]:
    """(method, path template, declares a request body, takes an integration key) per write operation."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, item in schema["paths"].items():
        for method in WRITE_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            schemes = {name for requirement in operation.get("security", []) for name in requirement}
            key_only = "personalToken" not in schemes and "integrationApiKey" in schemes
            found.append((method, path, "requestBody" in operation, key_only))
    return sorted(found)


WRITE_OPERATIONS = _write_operations()


def _non_json_bodies() -> set[tuple[str, str]]:
    """Operations whose body is not JSON (an upload): any hostile JSON is a 4xx there, its own kind."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method, path)
        for path, item in schema["paths"].items()
        for method in WRITE_METHODS
        if "application/json"
        not in ((item.get(method) or {}).get("requestBody") or {}).get("content", {"application/json": 1})
    }


NON_JSON_BODIES = _non_json_bodies()
# A batch may be a bare JSON list; wrongly typed items are refused one by one (per-item 400s).
ACCEPTS_A_LIST = {"/api/v1/events/batch/"}

ELEVEN_MIB = 11 * 1024 * 1024


@dataclass(frozen=True)
class Hostile:
    body: bytes
    content_type: str
    status: int
    error: str
    needs_declared_body: bool = False


HOSTILE = {
    "invalid_json": Hostile(b'{"body": "x",', "application/json", 400, "parse_error"),
    "truncated": Hostile(b'{"stream": "deal:1", "bo', "application/json", 400, "parse_error"),
    "form_encoded": Hostile(b"body=x&stream=deal%3A1", "application/x-www-form-urlencoded", 415, ""),
    "text_plain": Hostile(b'{"body": "x"}', "text/plain", 415, "unsupported_media_type"),
    "huge": Hostile(b'{"body": "' + b"a" * ELEVEN_MIB + b'"}', "application/json", 413, "payload_too_large"),
    "deep_nesting": Hostile(b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "parse_error"),
    "nesting_past_limit": Hostile(b'{"a":' * 40 + b"1" + b"}" * 40, "application/json", 400, "parse_error"),
    "not_utf8": Hostile(b'{"body": "caf\xe9 \xff\xfe"}', "application/json", 400, "parse_error"),
    "nul_in_value": Hostile(b'{"body": "a\\u0000b", "stream": "deal:1"}', "application/json", 400, ""),
    "nul_in_key": Hostile(b'{"bo\\u0000dy": "a"}', "application/json", 400, "parse_error"),
    "list_instead_of_object": Hostile(b"[1, 2]", "application/json", 400, "", needs_declared_body=True),
    "string_instead_of_object": Hostile(b'"text"', "application/json", 400, "", needs_declared_body=True),
    "number_instead_of_object": Hostile(b"12", "application/json", 400, "", needs_declared_body=True),
}


@pytest.fixture
def world():
    """A caller who owns one of everything a write endpoint can name, and credentials for both schemes."""
    # No password: hashing one costs ~1 s on a loaded machine, and nobody signs in here.
    me = UserFactory(password=None)
    other = UserFactory(password=None)
    deal = make_deal(owner=me)
    brief = make_brief(owner=me, client=deal.client)
    post = make_post(author=me, stream=deal.stream_key)
    comment = make_comment(
        activity=Activity.objects.get(object_type="post", object_id=str(post.pk)), author=me
    )
    group = group_create(actor=me, name="Pricing council", is_private=True)
    join_request = join_request_create(group=group, user=other)
    change_stage(deal, actor=other, stage="negotiation")
    notification = Notification.objects.filter(recipient=me).first()
    integration = make_integration(owner=me)
    subscription = WebhookSubscription.objects.create(
        integration=integration, url="https://hooks.example.com/x", secret="whsec_" + "A" * 32
    )
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, activity_id=post.activity_id, webhook_id="msg_1", payload={}
    )
    ids = {
        "activities": comment.activity_id,
        "comments": comment.pk,
        "posts": post.pk,
        "groups": group.pk,
        "join-requests": join_request.pk,
        "notifications": notification.pk if notification else 1,
        "people": me.pk,
        "deals": deal.pk,
        "clients": deal.client_id,
        "briefs": brief.pk,
        "webhooks": subscription.pk,
        "deliveries": delivery.pk,
        "events": post.activity_id,
    }
    token = api_token_create(user=me, name="hostile").secret
    key = make_key(integration=integration, scopes=[s.value for s in Scope]).secret
    return {"ids": ids, "token": token, "key": key}


def _concrete(path: str, ids: dict[str, int]) -> str:
    parts = path.strip("/").split("/")
    out = []
    for index, part in enumerate(parts):
        if part.startswith("{"):
            out.append(str(ids.get(parts[index - 1], 1)))
        else:
            out.append(part)
    return "/" + "/".join(out) + "/"


APP_TABLES = sorted(
    {model._meta.db_table for model in apps.get_models() if model.__module__.startswith("apps.")}
)


def _row_counts() -> dict[str, int]:
    """Rows in every feedhub table, in one round-trip."""
    # Table names come from the model registry, not from input.
    counts = ", ".join(f'(SELECT count(*) FROM "{table}")' for table in APP_TABLES)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        return dict(zip(APP_TABLES, cursor.fetchone(), strict=True))


def _problem(
    client: APIClient, method: str, path: str, hostile: Hostile, *, exact: bool = True
) -> str | None:
    """What is wrong with the answer to one hostile request, or None when it is right.

    Not `exact`: any 4xx with the error shape will do (an upload endpoint refuses JSON as a 415).
    """
    before = _row_counts()
    response = client.generic(method.upper(), path, hostile.body, content_type=hostile.content_type)
    if not exact:
        hostile = Hostile(hostile.body, hostile.content_type, response.status_code, "")
        if not 400 <= response.status_code < 500:
            return f"status {response.status_code}, wanted a 4xx: {response.content[:200]!r}"
    if response.status_code != hostile.status:
        return f"status {response.status_code}, wanted {hostile.status}: {response.content[:200]!r}"
    try:
        body = response.json()
    except ValueError:
        return f"not JSON: {response.content[:200]!r}"
    if not set(body) <= {"error", "detail", "fields"} or not body.get("detail"):
        return f"not the error shape: {body}"
    if hostile.error and body["error"] != hostile.error:
        return f"error {body['error']!r}, wanted {hostile.error!r}"
    if _row_counts() != before:
        return "rows were written"
    return None


@pytest.mark.parametrize(
    ("method", "path", "declares_body", "key_only"),
    WRITE_OPERATIONS,
    ids=[f"{m.upper()} {p}" for m, p, _, _ in WRITE_OPERATIONS],
)
def test_hostile_bodies_are_precise_4xx_json_errors_and_write_nothing(
    world, method, path, declares_body, key_only
):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {world['key'] if key_only else world['token']}")
    url = _concrete(path, world["ids"])

    problems = {
        name: _problem(client, method, url, hostile, exact=(method, path) not in NON_JSON_BODIES)
        for name, hostile in HOSTILE.items()
        # Well-formed JSON sent to an endpoint that takes no body is ignored, not malformed.
        if (declares_body or not hostile.needs_declared_body)
        and not (name == "list_instead_of_object" and path in ACCEPTS_A_LIST)
    }

    assert {name: p for name, p in problems.items() if p} == {}


def test_every_write_endpoint_is_enumerated():
    assert len(WRITE_OPERATIONS) >= 30
    assert ("post", "/api/v1/events/batch/", True, True) in WRITE_OPERATIONS
    assert ("patch", "/api/v1/deals/{id}/", True, False) in WRITE_OPERATIONS


def test_nul_in_a_query_string_is_a_400_not_a_database_error(api, user):
    api.force_authenticate(user)

    response = api.get("/api/v1/people/", {"q": "da\x00na"})

    assert response.status_code == 400
    assert response.json()["error"] == "parse_error"
