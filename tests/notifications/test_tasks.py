import pytest

from apps.activity import registry
from apps.activity import tasks as activity_tasks
from apps.activity.services import follow_create
from apps.notifications import tasks
from apps.notifications.models import Notification
from apps.notifications.selectors import notification_list
from apps.records.models import Deal
from tests.accounts.factories import UserFactory
from tests.notifications.factories import change_stage
from tests.records.factories import make_deal

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        (tasks.notify_activity_task, "notifications"),
        (tasks.push_notifications_task, "notifications"),
        (tasks.push_unread_count_task, "notifications"),
        (tasks.send_notification_email_task, "email"),
        (tasks.send_digest_task, "email"),
        (tasks.send_digests_task, "email"),
        (activity_tasks.fanout_activity_task, "fanout"),
    ],
)
def test_tasks_are_routed_to_their_queues(task, queue):
    routed = task.app.amqp.router.route(task._get_exec_options(), task.name)

    assert routed["queue"].name == queue


@pytest.mark.parametrize(
    "task", [tasks.notify_activity_task, tasks.send_notification_email_task, tasks.send_digest_task]
)
def test_work_that_must_not_be_lost_is_acknowledged_late_and_rejected_on_worker_loss(task):
    assert (task.acks_late, task.reject_on_worker_lost) == (True, True)


def test_a_large_audience_is_notified_in_chunks_with_the_same_result(
    settings, django_capture_on_commit_callbacks
):
    settings.FEEDHUB = {**settings.FEEDHUB, "NOTIFY_CHUNK_SIZE": 2}
    deal = make_deal()
    followers = [UserFactory() for _ in range(5)]
    for person in followers:
        follow_create(user=person, stream=deal.stream_key)

    with django_capture_on_commit_callbacks(execute=True):
        update = change_stage(deal, actor=deal.owner, stage=Deal.Stage.NEGOTIATION)

    notified = sorted(Notification.objects.filter(activity=update).values_list("recipient_id", flat=True))
    assert notified == sorted(p.pk for p in followers)


def test_a_notification_about_something_no_longer_visible_leaves_the_page(
    monkeypatch, django_capture_on_commit_callbacks
):
    deal = make_deal()
    follower = UserFactory()
    follow_create(user=follower, stream=deal.stream_key)
    with django_capture_on_commit_callbacks(execute=True):
        change_stage(deal, actor=deal.owner, stage=Deal.Stage.NEGOTIATION)
    assert len(notification_list(user=follower).items) == 1

    hidden = registry.StreamKind(prefix="deal", label="Deal", visible_object_ids=lambda viewer, ids: set())
    monkeypatch.setitem(registry._kinds, "deal", hidden)

    assert notification_list(user=follower).items == []


def test_a_broker_failure_in_the_sink_surfaces_as_a_retryable_connection_error(monkeypatch):
    from kombu.exceptions import OperationalError

    from apps.activity.registry import DeliveredBatch
    from apps.notifications.sink import enqueue_notifications

    deal = make_deal()
    activity = change_stage(deal, actor=deal.owner, stage=Deal.Stage.NEGOTIATION)

    def broker_down(*args, **kwargs):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(tasks.notify_activity_task, "delay", broker_down)
    batch = DeliveredBatch(activity=activity, data={}, recipient_ids=[UserFactory().pk], streams=[])

    with pytest.raises(ConnectionError):
        enqueue_notifications(batch)
    assert OSError in activity_tasks.fanout_activity_task.autoretry_for
