import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from apps.activity.models import Activity
from apps.integrations.models import IdempotencyRecord
from apps.integrations.services.events import event_ingest
from apps.integrations.tasks import purge_idempotency_keys_task
from tests.integrations.factories import make_key

pytestmark = pytest.mark.django_db

EVENT = {"type": "Create", "actor": {"type": "Application"}, "object": {"type": "Invoice", "id": "INV-7"}}


def _post(client, body, key=None):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.generic(
        "POST", "/api/v1/events/", json.dumps(body), content_type="application/activity+json", **extra
    )


def test_retry_with_the_same_key_and_body_replays_the_first_response(key_api):
    first = _post(key_api, EVENT, key="retry-1")
    again = _post(key_api, {**EVENT}, key="retry-1")

    assert first.status_code == 201
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Activity.objects.filter(source="api").count() == 1


def test_same_key_with_a_different_body_is_a_422_and_writes_nothing(key_api):
    _post(key_api, EVENT, key="retry-2")

    response = _post(key_api, {**EVENT, "type": "Delete"}, key="retry-2")

    assert response.status_code == 422
    assert response.json() == {
        "error": "idempotency_key_reused",
        "detail": "This Idempotency-Key was already used with a different request body.",
    }
    assert list(Activity.objects.filter(source="api").values_list("verb", flat=True)) == ["Create"]


def test_the_as2_id_is_the_key_when_no_header_is_sent(key_api):
    body = {**EVENT, "id": "https://billing.example/events/1"}

    first = _post(key_api, body)
    again = _post(key_api, body)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert first.json()["feedhub:externalId"] == "https://billing.example/events/1"
    assert Activity.objects.filter(source="api").count() == 1


def test_keys_belong_to_one_integration(key_api, api):
    _post(key_api, EVENT, key="shared-name")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {make_key().secret}")

    other = _post(api, EVENT, key="shared-name")

    assert other.status_code == 201
    assert Activity.objects.filter(source="api").count() == 2


def test_invalid_request_is_not_remembered_so_a_corrected_retry_succeeds(key_api):
    bad = _post(key_api, {**EVENT, "object": {}}, key="fix-me")
    fixed = _post(key_api, EVENT, key="fix-me")

    assert (bad.status_code, fixed.status_code) == (400, 201)
    assert Activity.objects.filter(source="api").count() == 1


def test_purge_forgets_keys_past_retention_but_the_activity_still_deduplicates(key_api, issued_key, settings):
    first = _post(key_api, EVENT, key="old-key")
    _post(key_api, EVENT, key="new-key")
    ttl = settings.FEEDHUB_INTEGRATIONS["IDEMPOTENCY_TTL_HOURS"]
    IdempotencyRecord.objects.filter(key="old-key").update(
        created_at=timezone.now() - timedelta(hours=ttl, minutes=1)
    )

    assert purge_idempotency_keys_task.delay().get() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new-key"]
    replay = _post(key_api, EVENT, key="old-key")

    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert Activity.objects.filter(source="api").count() == 2


def test_retention_is_at_least_a_day(settings):
    assert settings.FEEDHUB_INTEGRATIONS["IDEMPOTENCY_TTL_HOURS"] >= 24


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_create_exactly_one_activity():
    issued = make_key()
    start = threading.Barrier(4)
    responses: list[tuple[int, dict]] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def send() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
        start.wait()
        try:
            response = _post(client, EVENT, key="race-1")
            with lock:
                responses.append((response.status_code, response.json()))
        except BaseException as exc:  # noqa: BLE001 (reported by the assertion below)
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    assert [status for status, _ in responses] == [201, 201, 201, 201]
    assert len({json.dumps(body, sort_keys=True) for _, body in responses}) == 1
    assert Activity.objects.filter(source="api", idempotency_key="race-1").count() == 1
    assert IdempotencyRecord.objects.filter(key="race-1").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_twin_blocked_on_the_unique_index_replays_once_the_winner_commits():
    # Given a winner that has inserted the key but not yet committed,
    issued = make_key()
    winner_inserted, release = threading.Event(), threading.Event()
    outcome: dict = {}

    def winner() -> None:
        from django.db import transaction

        from apps.integrations.models import IdempotencyRecord as Record

        try:
            with transaction.atomic():
                result = event_ingest(api_key=issued.key, data=EVENT, idempotency_key="slow-1")
                outcome["winner"] = result
                winner_inserted.set()
                release.wait(timeout=10)
            outcome["records"] = Record.objects.count()
        finally:
            connection.close()

    thread = threading.Thread(target=winner)
    thread.start()
    assert winner_inserted.wait(timeout=10)

    # when a twin arrives (its pre-check sees nothing committed, so it reaches the insert and blocks),
    def twin() -> None:
        try:
            outcome["twin"] = event_ingest(api_key=issued.key, data=EVENT, idempotency_key="slow-1")
        finally:
            connection.close()

    twin_thread = threading.Thread(target=twin)
    twin_thread.start()
    twin_thread.join(timeout=1)
    assert twin_thread.is_alive()
    release.set()
    thread.join(timeout=10)
    twin_thread.join(timeout=10)

    # then it replays the winner's response, and only one activity exists.
    assert outcome["twin"].replayed is True
    assert outcome["twin"].body == outcome["winner"].body
    assert Activity.objects.filter(idempotency_key="slow-1").count() == 1
