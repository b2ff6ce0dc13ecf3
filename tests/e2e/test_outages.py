"""Outages: PostgreSQL down answers 503 with Retry-After; Redis down still accepts and keeps writes."""

import httpx
import pytest

from apps.accounts.services import api_token_create
from apps.activity.models import Activity
from apps.activity.services import activity_fanout
from tests.accounts.factories import UserFactory
from tests.harness import free_port, start_daphne, stop
from tests.records.factories import make_deal

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e"), pytest.mark.django_db(transaction=True)]


@pytest.fixture
def closed_port() -> int:
    return free_port()  # bound and released: nothing listens there


def test_api_answers_503_with_retry_after_when_postgres_is_down(tmp_path, closed_port):
    port = free_port()
    daphne = start_daphne(port, tmp_path, DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed_port}/feedhub")
    try:
        response = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/feed/", headers={"Authorization": "Bearer fh_user_x"}, timeout=15
        )
        page = httpx.get(f"http://127.0.0.1:{port}/", cookies={"sessionid": "a" * 32}, timeout=15)
    finally:
        stop(daphne)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json()["error"] == "service_unavailable"
    assert page.status_code == 503


def test_changes_are_accepted_and_kept_when_redis_is_down(tmp_path, closed_port):
    deal = make_deal()
    follower = UserFactory()
    from apps.activity.services import follow_create

    follow_create(user=follower, stream=deal.stream_key)
    token = api_token_create(user=deal.owner, name="t").secret
    port = free_port()
    daphne = start_daphne(port, tmp_path, REDIS_URL=f"redis://127.0.0.1:{closed_port}/0")
    try:
        response = httpx.patch(
            f"http://127.0.0.1:{port}/api/v1/deals/{deal.pk}/",
            json={"stage": "negotiation"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
    finally:
        stop(daphne)

    assert response.status_code == 200
    stored = Activity.objects.get(verb="Update", object_id=str(deal.pk))
    assert stored.fanout_pending is True  # waiting for the sweeper
    # Once the broker is back, the sweeper's fan-out delivers it.
    activity_fanout(activity_id=stored.pk)
    stored.refresh_from_db()
    assert stored.fanout_pending is False
