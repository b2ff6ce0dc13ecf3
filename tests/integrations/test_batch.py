import json
import time

import pytest

from apps.activity.models import Activity, ActivityStream
from tests.accounts.factories import UserFactory
from tests.records.factories import make_deal

pytestmark = pytest.mark.django_db


def _post_batch(client, body, content_type="application/activity+json"):
    return client.generic("POST", "/api/v1/events/batch/", json.dumps(body), content_type=content_type)


def _item(n: int, **extra):
    return {"type": "Create", "actor": {"type": "Application"}, "object": {"id": f"INV-{n}"}, **extra}


def test_one_bad_item_does_not_sink_the_others(key_api):
    deal = make_deal()
    body = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "OrderedCollection",
        "orderedItems": [
            _item(1),
            {"type": "Update", "actor": {}, "object": {"id": "feedhub:deal:999999"}},
            {"type": "Update", "actor": {}, "object": f"feedhub:deal:{deal.pk}"},
            "not an activity",
        ],
    }

    response = _post_batch(key_api, body)

    assert response.status_code == 200
    data = response.json()
    assert (data["type"], data["totalItems"], data["succeeded"], data["failed"]) == (
        "OrderedCollection",
        4,
        2,
        2,
    )
    results = data["results"]
    assert [(r["index"], r["status"]) for r in results] == [(0, 201), (1, 400), (2, 201), (3, 400)]
    assert results[1]["fields"] == {"object.id": ["No deal with id 999999."]}
    assert results[3]["fields"] == {"non_field_errors": ["An activity must be a JSON object."]}
    created = list(Activity.objects.filter(source="api").order_by("pk"))
    assert [r["activity"]["feedhub:activity"] for r in (results[0], results[2])] == [a.pk for a in created]
    assert results[2]["activity"]["object"]["id"] == f"feedhub:deal:{deal.pk}"


def test_a_plain_json_list_is_a_batch_too(key_api):
    response = _post_batch(key_api, [_item(1), _item(2)], content_type="application/json")

    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == [201, 201]
    assert Activity.objects.filter(source="api").count() == 2


def test_items_with_an_as2_id_are_idempotent_within_and_across_batches(key_api):
    first = _post_batch(key_api, [_item(1, id="evt-1"), _item(2, id="evt-2"), _item(1, id="evt-1")]).json()
    again = _post_batch(key_api, [_item(1, id="evt-1"), _item(9, id="evt-2")]).json()

    assert [(r["status"], r["replayed"]) for r in first["results"]] == [
        (201, False),
        (201, False),
        (201, True),
    ]
    assert first["results"][2]["activity"] == first["results"][0]["activity"]
    assert again["results"][0]["activity"] == first["results"][0]["activity"]
    assert again["results"][1]["status"] == 422
    assert again["results"][1]["error"] == "idempotency_key_reused"
    assert Activity.objects.filter(source="api").count() == 2


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"type": "Collection", "items": "nope"}, {"items": ["Expected a list of activities."]}),
        ({"type": "Note"}, {"type": ["Expected an OrderedCollection."]}),
        ("just a string", {"non_field_errors": ["Expected a list of activities."]}),
    ],
)
def test_a_body_that_is_not_a_collection_is_a_400(key_api, body, fields):
    response = _post_batch(key_api, body)

    assert response.status_code == 400
    assert response.json()["fields"] == fields


def test_more_items_than_the_limit_is_a_400_and_writes_nothing(key_api, settings):
    settings.FEEDHUB_INTEGRATIONS = {**settings.FEEDHUB_INTEGRATIONS, "MAX_BATCH_ITEMS": 3}

    response = _post_batch(
        key_api, {"type": "OrderedCollection", "orderedItems": [_item(n) for n in range(4)]}
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"orderedItems": ["At most 3 activities per batch."]}
    assert Activity.objects.filter(source="api").count() == 0


def test_oversize_batch_is_a_413(key_api, settings):
    settings.FEEDHUB_INTEGRATIONS = {**settings.FEEDHUB_INTEGRATIONS, "MAX_BATCH_BYTES": 500}

    response = _post_batch(key_api, [_item(n) for n in range(20)])

    assert response.status_code == 413
    assert Activity.objects.filter(source="api").count() == 0


def test_a_batch_costs_the_same_queries_whatever_its_size(
    key_api, django_assert_num_queries, django_capture_on_commit_callbacks
):
    people = UserFactory.create_batch(3)
    deals = [make_deal() for _ in range(3)]

    def batch(size: int) -> list[dict]:
        return [
            {
                "type": "Update",
                "actor": f"feedhub:user:{people[n % 3].pk}",
                "object": f"feedhub:deal:{deals[n % 3].pk}",
                "target": {"id": f"opp-{n}"},
            }
            for n in range(size)
        ]

    # Per batch, whatever its size: the key, then external links, users and deals (one query each);
    # three nested savepoints, opened and released (6); one INSERT of the activities and one of
    # their streams. No query per item.
    _post_batch(key_api, batch(1))
    with django_assert_num_queries(1 + 3 + 6 + 2):
        _post_batch(key_api, batch(1))
    with django_assert_num_queries(1 + 3 + 6 + 2):
        _post_batch(key_api, batch(10))


def test_a_thousand_item_batch_is_accepted(key_api):
    deal = make_deal()
    items = [
        {"type": "Update", "id": f"bulk-{n}", "actor": {}, "object": f"feedhub:deal:{deal.pk}"}
        for n in range(1000)
    ]

    started = time.perf_counter()
    response = _post_batch(key_api, {"type": "OrderedCollection", "orderedItems": items})
    elapsed = time.perf_counter() - started

    assert response.status_code == 200
    assert response.json()["succeeded"] == 1000
    assert Activity.objects.filter(source="api").count() == 1000
    assert ActivityStream.objects.filter(stream=deal.stream_key, activity__source="api").count() == 1000
    print(f"1000-item batch: {elapsed:.2f}s")


def test_batch_idempotency_key_replays_the_whole_response_and_creates_nothing(key_api):
    body = {"type": "OrderedCollection", "orderedItems": [_item(1), _item(2), {"type": "Create"}]}

    first = key_api.generic(
        "POST",
        "/api/v1/events/batch/",
        json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="nightly-sync-2026-11-23",
    )
    count = Activity.objects.count()
    again = key_api.generic(
        "POST",
        "/api/v1/events/batch/",
        json.dumps(body, indent=2),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="nightly-sync-2026-11-23",
    )

    assert first.status_code == 200
    assert first.json()["succeeded"] == 2
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Activity.objects.count() == count == 2


def test_batch_idempotency_key_with_another_body_is_a_422_and_writes_nothing(key_api):
    key_api.generic(
        "POST",
        "/api/v1/events/batch/",
        json.dumps([_item(1)]),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )

    response = key_api.generic(
        "POST",
        "/api/v1/events/batch/",
        json.dumps([_item(2)]),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )

    assert response.status_code == 422
    assert response.json() == {
        "error": "idempotency_key_reused",
        "detail": "This Idempotency-Key was already used with a different request body.",
    }
    assert Activity.objects.count() == 1


def test_batch_and_single_event_keys_do_not_collide(key_api):
    single = key_api.post("/api/v1/events/", _item(1), format="json", HTTP_IDEMPOTENCY_KEY="same")
    batch = key_api.generic(
        "POST",
        "/api/v1/events/batch/",
        json.dumps([_item(2)]),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="same",
    )

    assert single.status_code == 201
    assert batch.status_code == 200
    assert batch.json()["succeeded"] == 1
    assert Activity.objects.count() == 2


def test_a_key_taken_between_lookup_and_insert_falls_back_to_item_by_item_and_replays(key_api, monkeypatch):
    from apps.integrations.services import events

    _post_batch(key_api, [_item(1, id="evt-race")])
    # As if a concurrent request committed the key after this batch looked its keys up.
    monkeypatch.setattr(events, "_known_keys", lambda integration, keys: {})

    response = _post_batch(key_api, [_item(1, id="evt-race"), _item(2)])

    results = response.json()["results"]
    assert [(r["status"], r["replayed"]) for r in results] == [(201, True), (201, False)]
    assert Activity.objects.filter(source="api").count() == 2
