from datetime import timedelta

import pytest
from django.utils import timezone

from apps.activity.models import Activity, InboxEntry
from apps.activity.services import activity_fanout, follow_create, outbox_claim_due
from apps.activity.tasks import sweep_outbox_task
from apps.records.models import Deal
from apps.records.services import record_update
from tests.accounts.factories import UserFactory
from tests.records.factories import make_deal

pytestmark = pytest.mark.django_db


def inbox_of(user) -> list[int]:
    return list(
        InboxEntry.objects.filter(user=user).order_by("activity_id").values_list("activity_id", flat=True)
    )


def test_follower_gets_an_inbox_row_and_a_stranger_does_not(django_capture_on_commit_callbacks):
    deal = make_deal()
    follower, stranger = UserFactory(), UserFactory()
    follow_create(user=follower, stream=deal.stream_key)

    with django_capture_on_commit_callbacks(execute=True):
        record_update(record=deal, actor=deal.owner, data={"stage": Deal.Stage.NEGOTIATION})

    update = Activity.objects.latest("pk")
    assert inbox_of(follower) == [update.pk]
    assert inbox_of(stranger) == []
    assert update.pk in inbox_of(deal.owner)
    update.refresh_from_db()
    assert update.fanout_pending is False


def test_fanout_run_twice_writes_each_inbox_row_once(django_capture_on_commit_callbacks):
    deal = make_deal()
    follower = UserFactory()
    follow_create(user=follower, stream=deal.stream_key)
    with django_capture_on_commit_callbacks(execute=True):
        record_update(record=deal, actor=deal.owner, data={"stage": Deal.Stage.NEGOTIATION})
    update = Activity.objects.latest("pk")

    activity_fanout(activity_id=update.pk)
    activity_fanout(activity_id=update.pk)

    assert InboxEntry.objects.filter(activity=update).count() == 2  # follower and owner


def test_muted_follow_and_verb_filter_keep_items_out(django_capture_on_commit_callbacks):
    deal = make_deal()
    muted, creates_only, updates_only = UserFactory(), UserFactory(), UserFactory()
    follow_create(user=muted, stream=deal.stream_key, muted=True)
    follow_create(user=creates_only, stream=deal.stream_key, verbs=["Create"])
    follow_create(user=updates_only, stream=deal.stream_key, verbs=["Update"])

    with django_capture_on_commit_callbacks(execute=True):
        record_update(record=deal, actor=deal.owner, data={"stage": Deal.Stage.NEGOTIATION})

    update = Activity.objects.latest("pk")
    assert inbox_of(muted) == []
    assert inbox_of(creates_only) == []
    assert inbox_of(updates_only) == [update.pk]


def test_deactivated_follower_gets_nothing(django_capture_on_commit_callbacks):
    deal = make_deal()
    gone = UserFactory(is_active=False)
    follow_create(user=gone, stream=deal.stream_key)

    with django_capture_on_commit_callbacks(execute=True):
        record_update(record=deal, actor=deal.owner, data={"stage": Deal.Stage.NEGOTIATION})

    assert inbox_of(gone) == []


def test_following_a_person_brings_their_activity(django_capture_on_commit_callbacks):
    deal = make_deal()
    fan = UserFactory()
    follow_create(user=fan, stream=deal.owner.stream_key)

    with django_capture_on_commit_callbacks(execute=True):
        record_update(record=deal, actor=deal.owner, data={"stage": Deal.Stage.NEGOTIATION})

    assert inbox_of(fan) == [Activity.objects.latest("pk").pk]


def test_sweeper_reenqueues_activities_whose_fanout_never_ran():
    deal = make_deal()
    follower = UserFactory()
    follow_create(user=follower, stream=deal.stream_key)
    # No on_commit capture: the fan-out task is never enqueued, as if the broker had been down.
    record_update(record=deal, actor=deal.owner, data={"stage": Deal.Stage.NEGOTIATION})
    stuck = Activity.objects.latest("pk")
    Activity.objects.filter(fanout_pending=True).exclude(pk=stuck.pk).update(fanout_pending=False)
    Activity.objects.filter(pk=stuck.pk).update(fanout_due_at=timezone.now() - timedelta(seconds=1))

    swept = sweep_outbox_task()

    assert swept == 1
    assert inbox_of(follower) == [stuck.pk]
    stuck.refresh_from_db()
    assert stuck.fanout_pending is False


def test_fresh_pending_activities_are_left_to_their_own_task():
    deal = make_deal()
    record_update(record=deal, actor=deal.owner, data={"stage": Deal.Stage.NEGOTIATION})

    assert outbox_claim_due() == []


def test_a_claimed_fanout_is_not_claimed_again_within_the_grace_period():
    deal = make_deal()
    record_update(record=deal, actor=deal.owner, data={"stage": Deal.Stage.NEGOTIATION})
    Activity.objects.update(fanout_due_at=timezone.now() - timedelta(seconds=1))
    pending = set(Activity.objects.filter(fanout_pending=True).values_list("pk", flat=True))

    assert set(outbox_claim_due()) == pending
    assert outbox_claim_due() == []


def test_each_claim_of_a_stuck_fanout_doubles_its_wait(settings):
    settings.FEEDHUB = {**settings.FEEDHUB, "OUTBOX_GRACE_SECONDS": 10}
    deal = make_deal()
    record_update(record=deal, actor=deal.owner, data={"stage": Deal.Stage.NEGOTIATION})
    stuck = Activity.objects.latest("pk")
    Activity.objects.exclude(pk=stuck.pk).update(fanout_pending=False)
    waits = []
    for _ in range(3):
        Activity.objects.filter(pk=stuck.pk).update(fanout_due_at=timezone.now() - timedelta(seconds=1))
        before = timezone.now()
        assert outbox_claim_due() == [stuck.pk]
        stuck.refresh_from_db()
        waits.append(round((stuck.fanout_due_at - before).total_seconds()))

    assert waits == [20, 40, 80]
