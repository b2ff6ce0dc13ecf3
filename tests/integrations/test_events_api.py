import json

import pytest

from apps.activity.models import Activity, ActivityStream, InboxEntry
from apps.activity.services import follow_create
from apps.integrations.services.keys import external_object_link
from tests.accounts.factories import UserFactory
from tests.integrations.factories import make_key
from tests.records.factories import make_deal

pytestmark = pytest.mark.django_db

AS2 = "https://www.w3.org/ns/activitystreams"


def _post(client, body, content_type="application/activity+json", **extra):
    return client.generic("POST", "/api/v1/events/", json.dumps(body), content_type=content_type, **extra)


def _streams(activity_id: int) -> list[str]:
    return sorted(ActivityStream.objects.filter(activity_id=activity_id).values_list("stream", flat=True))


@pytest.mark.parametrize(
    "content_type",
    [
        "application/activity+json",
        f'application/ld+json; profile="{AS2}"',
        "application/json",
        "application/json; charset=utf-8",
    ],
)
def test_activity_about_a_record_is_published_and_returned_in_as2_shape(
    key_api, issued_key, content_type, django_capture_on_commit_callbacks
):
    deal = make_deal(name="Globex retainer")
    editor = UserFactory(first_name="Dana", last_name="Morgan")
    follower = UserFactory()
    follow_create(user=follower, stream=deal.stream_key)
    body = {
        "@context": AS2,
        "type": "Update",
        "actor": f"feedhub:user:{editor.pk}",
        "object": {"type": "Deal", "id": f"feedhub:deal:{deal.pk}"},
        "summary": "Stage moved in the CRM",
        "content": "Signed by procurement.",
        "published": "2026-11-20T09:30:00+01:00",
        "feedhub:changes": [{"field": "stage", "old": "proposal", "new": "negotiation"}],
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(key_api, body, content_type=content_type)

    assert response.status_code == 201, response.json()
    activity = Activity.objects.get(source="api")
    data = response.json()
    assert response["Location"] == f"http://testserver/api/v1/events/{activity.pk}/"
    assert response["Content-Type"] == "application/activity+json"
    assert data == {
        "@context": AS2,
        "id": f"http://testserver/api/v1/events/{activity.pk}/",
        "type": "Update",
        "actor": {"type": "Person", "id": f"feedhub:user:{editor.pk}", "name": "Dana Morgan"},
        "object": {
            "type": "deal",
            "id": f"feedhub:deal:{deal.pk}",
            "name": "Globex retainer",
            "url": f"/deals/{deal.pk}/",
        },
        "published": "2026-11-20T08:30:00+00:00",
        "summary": "Stage moved in the CRM",
        "content": "Signed by procurement.",
        "feedhub:changes": [{"field": "stage", "old": "proposal", "new": "negotiation"}],
        "feedhub:activity": activity.pk,
    }
    assert (activity.actor_id, activity.verb, activity.source_client) == (
        editor.pk,
        "Update",
        str(issued_key.key.integration_id),
    )
    assert activity.changes == [
        {
            "field": "stage",
            "label": "Stage",
            "old": "proposal",
            "new": "negotiation",
            "old_display": "proposal",
            "new_display": "negotiation",
        }
    ]
    assert _streams(activity.pk) == sorted([deal.stream_key, editor.stream_key])
    assert InboxEntry.objects.filter(user=follower, activity=activity).exists()


def test_actor_is_found_by_email_and_otherwise_the_integration_itself(key_api, issued_key):
    deal = make_deal()
    dana = UserFactory(email="Dana@Example.com")
    base = {"type": "Like", "object": f"feedhub:deal:{deal.pk}"}

    by_email = _post(key_api, {**base, "actor": {"type": "Person", "email": "dana@example.com"}})
    by_mailto = _post(key_api, {**base, "actor": "mailto:dana@example.com"})
    stranger = _post(key_api, {**base, "actor": {"type": "Person", "email": "who@elsewhere.com"}})
    service = _post(key_api, {**base, "actor": {"type": "Service", "id": "https://ci.example/bot"}})

    integration = issued_key.key.integration
    assert by_email.json()["actor"]["id"] == f"feedhub:user:{dana.pk}"
    assert by_mailto.json()["actor"]["id"] == f"feedhub:user:{dana.pk}"
    application = {
        "type": "Application",
        "id": f"feedhub:integration:{integration.pk}",
        "name": integration.name,
    }
    assert stranger.json()["actor"] == application
    assert service.json()["actor"] == application
    assert list(Activity.objects.filter(source="api").order_by("pk").values_list("actor_id", flat=True)) == [
        dana.pk,
        dana.pk,
        None,
        None,
    ]


def test_unmapped_external_object_gets_its_own_followable_stream(
    key_api, issued_key, django_capture_on_commit_callbacks
):
    integration = issued_key.key.integration
    watcher = UserFactory()
    follow_create(user=watcher, stream=f"ext:{integration.pk}:INV-1001")

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            key_api,
            {
                "type": "Create",
                "actor": {"type": "Application"},
                "object": {"type": "Invoice", "id": "INV-1001"},
            },
        )

    assert response.status_code == 201
    assert response.json()["object"] == {
        "type": "ext",
        "id": f"feedhub:ext:{integration.pk}:INV-1001",
        "name": "INV-1001",
        "url": "",
    }
    activity = Activity.objects.get(source="api")
    assert _streams(activity.pk) == [f"ext:{integration.pk}:INV-1001"]
    assert InboxEntry.objects.filter(user=watcher, activity=activity).exists()


def test_mapped_external_object_lands_on_the_record_stream_and_its_own(key_api, issued_key):
    integration = issued_key.key.integration
    deal = make_deal(name="ACME rebrand")
    external_object_link(integration=integration, external_id="opp-77", stream=deal.stream_key)

    response = _post(
        key_api,
        {
            "type": "Add",
            "actor": {"type": "Application"},
            "object": {"type": "Document", "id": "https://files.example/contract.pdf", "name": "Contract"},
            "target": {"type": "Opportunity", "id": "opp-77"},
            "to": [f"feedhub:client:{deal.client_id}"],
            "tag": [{"type": "Hashtag", "name": "#contracts"}],
            "origin": {"type": "Application", "name": "Drive"},
            "result": {"type": "Note", "content": "ok"},
        },
    )

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["target"] == {
        "type": "deal",
        "id": f"feedhub:deal:{deal.pk}",
        "name": "ACME rebrand",
        "url": f"/deals/{deal.pk}/",
    }
    assert data["tag"] == [{"type": "Hashtag", "name": "#contracts"}]
    assert data["origin"] == {"type": "Application", "name": "Drive"}
    assert data["result"] == {"type": "Note", "content": "ok"}
    assert data["to"] == [f"feedhub:client:{deal.client_id}"]
    activity = Activity.objects.get(source="api")
    assert _streams(activity.pk) == sorted(
        [
            f"client:{deal.client_id}",
            deal.stream_key,
            f"ext:{integration.pk}:https://files.example/contract.pdf",
            f"ext:{integration.pk}:opp-77",
        ]
    )


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"actor": {"type": "Application"}, "object": "x"}, {"type": ["This field is required."]}),
        ({"type": "Update", "object": "x"}, {"actor": ["This field is required."]}),
        ({"type": "Update", "actor": {"type": "Application"}}, {"object": ["This field is required."]}),
        (
            {"type": "Update", "actor": {}, "object": {"type": "Note"}},
            {"object.id": ["This field is required."]},
        ),
        (
            {"type": "Update", "actor": {}, "object": "feedhub:deal:999999"},
            {"object.id": ["No deal with id 999999."]},
        ),
        (
            {"type": "Update", "actor": {}, "object": "feedhub:spaceship:1"},
            {"object.id": ["Unknown kind 'spaceship'."]},
        ),
        (
            {"type": "Update", "actor": "feedhub:user:999999", "object": "x"},
            {"actor.id": ["No active feedhub user 999999."]},
        ),
        (
            {"type": "Update", "actor": {}, "object": "x", "published": "2026-11-20T09:30:00"},
            {"published": ["Must carry a time zone offset (Z or ±hh:mm)."]},
        ),
        (
            {"type": "has spaces", "actor": {}, "object": "x"},
            {"type": ["An AS2 type (Create, Update, …) or a namespaced verb such as deal.stage_changed."]},
        ),
        (
            {"type": "Update", "actor": {}, "object": "x", "feedhub:changes": [{"field": "stage", "new": 1}]},
            {"feedhub:changes.0.old": ["This field is required (null is allowed)."]},
        ),
        (
            {"type": "Update", "actor": {}, "object": "x", "to": ["feedhub:deal:abc!"]},
            {"to.0.id": ["A feedhub reference looks like feedhub:<kind>:<id>, e.g. feedhub:deal:42."]},
        ),
        ({"type": "Update", "actor": {}, "object": "x" * 201}, {"object.id": ["At most 200 characters."]}),
    ],
)
def test_invalid_activity_is_a_400_naming_the_json_path_and_writes_nothing(key_api, body, fields):
    response = _post(key_api, body)

    assert response.status_code == 400
    assert response.json() == {"error": "validation_error", "detail": "Invalid input.", "fields": fields}
    assert Activity.objects.filter(source="api").count() == 0


def test_body_that_is_not_an_object_is_a_400(key_api):
    response = _post(key_api, ["not", "an", "activity"])

    assert response.status_code == 400
    assert response.json()["fields"] == {"non_field_errors": ["An activity must be a JSON object."]}


def test_malformed_json_is_a_400(key_api):
    response = key_api.generic("POST", "/api/v1/events/", "{nope", content_type="application/activity+json")

    assert response.status_code == 400
    assert response.json()["error"] == "parse_error"


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/xml", 'application/ld+json; profile="https://example.com/other"'],
)
def test_unknown_media_type_is_a_415(key_api, content_type):
    response = _post(key_api, {"type": "Like", "actor": {}, "object": "x"}, content_type=content_type)

    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"
    assert Activity.objects.filter(source="api").count() == 0


def test_oversize_body_is_a_413(key_api, settings):
    settings.FEEDHUB_INTEGRATIONS = {**settings.FEEDHUB_INTEGRATIONS, "MAX_EVENT_BYTES": 200}

    response = _post(key_api, {"type": "Like", "actor": {}, "object": "x", "content": "y" * 300})

    assert response.status_code == 413
    assert response.json() == {"error": "payload_too_large", "detail": "Request body exceeds 200 bytes."}
    assert Activity.objects.filter(source="api").count() == 0


def test_rate_limit_per_key_is_a_429_with_retry_after(api, settings):
    settings.FEEDHUB_INTEGRATIONS = {**settings.FEEDHUB_INTEGRATIONS, "RATE_LIMIT": "2/min"}
    limited, other = make_key(), make_key()
    body = {"type": "Like", "actor": {}, "object": "x"}

    api.credentials(HTTP_AUTHORIZATION=f"Bearer {limited.secret}")
    statuses = [_post(api, body).status_code for _ in range(3)]
    refused = _post(api, body)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {other.secret}")
    unaffected = _post(api, body)

    assert statuses == [201, 201, 429]
    assert refused.status_code == 429
    assert refused.json()["error"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert unaffected.status_code == 201
    assert Activity.objects.filter(source="api").count() == 3


def test_location_of_a_created_event_reads_it_back_for_its_integration_only(key_api, api):
    created = _post(key_api, {"type": "Like", "actor": {}, "object": "x"}).json()

    mine = key_api.get(created["id"])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {make_key().secret}")
    theirs = api.get(created["id"])

    assert mine.status_code == 200
    assert mine.json() == created
    assert theirs.status_code == 404
