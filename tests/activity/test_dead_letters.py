"""Work out of retries lands in the dead-letter table; replaying it is idempotent."""

from io import StringIO

import pytest
from django.contrib.admin.sites import site
from django.core.management import call_command
from django.db import DatabaseError
from django.test import RequestFactory
from django.utils import timezone

from apps.activity import services
from apps.activity.admin import replay
from apps.activity.models import Activity, DeadLetter, InboxEntry
from apps.activity.services import ObjectRef, activity_publish, outbox_claim_due
from apps.activity.tasks import fanout_activity_task
from apps.integrations.models import WebhookDelivery
from apps.integrations.services.webhooks import webhook_deliver, webhook_subscription_create
from tests.accounts.factories import UserFactory
from tests.integrations.factories import make_integration
from tests.integrations.webhook_server import webhook_receiver
from tests.records.factories import make_deal

pytestmark = pytest.mark.django_db


def _poison_fanout(monkeypatch) -> list[int]:
    calls: list[int] = []

    def broken(*, activity_id: int):
        calls.append(activity_id)
        raise DatabaseError("relation is locked")

    monkeypatch.setattr(services, "activity_fanout", broken)
    return calls


def _unfanned_activity(django_capture_on_commit_callbacks) -> Activity:
    deal = make_deal(owner=UserFactory(password=None))
    with django_capture_on_commit_callbacks(execute=False):
        return activity_publish(
            actor=deal.owner, verb="Update", obj=ObjectRef("deal", str(deal.pk), deal.name)
        )


def _last_attempt(activity_id: int) -> None:
    """Run the task as its final retry, as a worker would after the backoff waits (not raising,
    so Celery runs its failure handling as in a worker)."""
    result = fanout_activity_task.apply(
        args=[activity_id], retries=fanout_activity_task.max_retries, throw=False
    )
    assert result.failed()


def _replay(*args: str) -> str:
    out = StringIO()
    call_command("deadletters", "replay", *args, stdout=out)
    return out.getvalue().strip()


def test_fanout_out_of_retries_is_dead_lettered_and_parked_from_the_sweeper(
    monkeypatch, django_capture_on_commit_callbacks
):
    activity = _unfanned_activity(django_capture_on_commit_callbacks)
    calls = _poison_fanout(monkeypatch)

    _last_attempt(activity.pk)

    assert calls == [activity.pk]
    letter = DeadLetter.objects.get()
    assert letter.key == f"apps.activity.tasks.fanout_activity_task:[{activity.pk}]"
    assert letter.task == "apps.activity.tasks.fanout_activity_task"
    assert letter.args == [activity.pk]
    assert letter.error == "DatabaseError: relation is locked"
    assert letter.replayed_at is None
    assert Activity.objects.get(pk=activity.pk).fanout_pending is True
    assert activity.pk not in outbox_claim_due()


def test_replaying_a_dead_fanout_delivers_it_once_and_a_second_replay_does_nothing(
    monkeypatch, django_capture_on_commit_callbacks
):
    activity = _unfanned_activity(django_capture_on_commit_callbacks)
    with monkeypatch.context() as patched:
        _poison_fanout(patched)
        _last_attempt(activity.pk)
    letter = DeadLetter.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        first = _replay("--id", str(letter.pk))
    with django_capture_on_commit_callbacks(execute=True) as second_callbacks:
        second = _replay("--all")

    assert first == f"replayed 1: {letter.pk}"
    assert second == "replayed 0"
    assert second_callbacks == []
    assert list(InboxEntry.objects.filter(activity=activity).values_list("user_id", flat=True)) == [
        activity.actor_id
    ]
    assert Activity.objects.get(pk=activity.pk).fanout_pending is False
    assert DeadLetter.objects.get().replayed_at is not None


def test_failing_again_after_a_replay_makes_the_letter_wait_again(
    monkeypatch, django_capture_on_commit_callbacks
):
    activity = _unfanned_activity(django_capture_on_commit_callbacks)
    _poison_fanout(monkeypatch)
    _last_attempt(activity.pk)

    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        _replay("--all")
    assert len(enqueued) == 1
    assert DeadLetter.objects.get().replayed_at is not None
    _last_attempt(activity.pk)  # the replayed run fails for good as well

    letter = DeadLetter.objects.get()
    assert letter.failures == 2
    assert letter.replayed_at is None


def test_webhook_delivery_out_of_attempts_is_dead_lettered_and_replays_a_fresh_schedule(
    settings, django_capture_on_commit_callbacks
):
    settings.FEEDHUB_WEBHOOKS = {
        **settings.FEEDHUB_WEBHOOKS,
        "ALLOWED_NETWORKS": ["127.0.0.1/32"],
        "RETRY_SCHEDULE_SECONDS": [],
    }
    activity = _unfanned_activity(django_capture_on_commit_callbacks)
    with webhook_receiver() as receiver:
        receiver.script = [500, 200]
        subscription = webhook_subscription_create(
            integration=make_integration(owner=activity.actor), url=receiver.url
        )
        delivery = WebhookDelivery.objects.create(
            subscription=subscription,
            activity_id=activity.pk,
            webhook_id="msg_dead",
            payload={},
            next_attempt_at=timezone.now(),
        )

        assert webhook_deliver(delivery_id=delivery.pk) == "failed"
        letter = DeadLetter.objects.get()
        assert letter.key == f"webhook-delivery:{delivery.pk}"
        assert letter.error == "gave up after 1 attempts; last: 500"

        with django_capture_on_commit_callbacks(execute=True):
            _replay("--all")
        with django_capture_on_commit_callbacks(execute=True):
            _replay("--all")

        delivery.refresh_from_db()
        assert delivery.status == WebhookDelivery.Status.DELIVERED
        assert [r.headers["webhook-id"] for r in receiver.requests] == ["msg_dead", "msg_dead"]


def test_admin_action_replays_only_waiting_letters(django_capture_on_commit_callbacks):
    waiting = DeadLetter.objects.create(
        key="k1", task="apps.activity.tasks.fanout_activity_task", args=[999999]
    )
    done = DeadLetter.objects.create(
        key="k2", task="apps.activity.tasks.fanout_activity_task", args=[999998], replayed_at=timezone.now()
    )
    request = RequestFactory().post("/admin/activity/deadletter/")
    request.user = UserFactory(password=None, is_staff=True, is_superuser=True)
    request._messages = _NoMessages()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        replay(site._registry[DeadLetter], request, DeadLetter.objects.all())

    assert len(callbacks) == 1
    waiting.refresh_from_db()
    assert waiting.replayed_at is not None
    assert DeadLetter.objects.get(pk=done.pk).replayed_at == done.replayed_at


class _NoMessages:
    def add(self, *args, **kwargs) -> None:
        pass


def test_list_shows_waiting_letters():
    DeadLetter.objects.create(key="k1", task="t", args=[1], error="boom")
    out = StringIO()

    call_command("deadletters", "list", stdout=out)

    assert "\tk1\tfailures=1\twaiting\tboom" in out.getvalue()
