import datetime as dt

import pytest

from apps.activity.services import follow_create
from apps.notifications import services
from apps.notifications.models import Notification, UnreadCounter
from apps.notifications.presenters import notification_title
from apps.notifications.reasons import Channel, Reason
from apps.notifications.selectors import unread_count
from apps.records.models import Deal
from apps.records.services import record_update
from tests.accounts.factories import UserFactory
from tests.notifications.factories import change_stage, like, notifications_of
from tests.records.factories import make_deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal():
    return make_deal()


@pytest.fixture
def follower(deal):
    person = UserFactory()
    follow_create(user=person, stream=deal.stream_key)
    return person


def test_follower_is_notified_of_a_record_change_and_the_actor_and_strangers_are_not(
    deal, follower, django_capture_on_commit_callbacks
):
    stranger = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        update = change_stage(deal, actor=deal.owner, stage=Deal.Stage.NEGOTIATION)

    [notification] = notifications_of(follower)
    assert (notification.reason, notification.target, notification.activity_id) == (
        Reason.RECORD_CHANGED,
        deal.stream_key,
        update.pk,
    )
    assert (notification.actor_id, notification.actor_count, notification.unread) == (deal.owner.pk, 1, True)
    assert notifications_of(deal.owner) == []
    assert notifications_of(stranger) == []
    assert unread_count(user_id=follower.pk) == 1


def test_following_only_the_actor_brings_the_feed_item_but_no_notification(
    deal, django_capture_on_commit_callbacks
):
    fan = UserFactory()
    follow_create(user=fan, stream=deal.owner.stream_key)

    with django_capture_on_commit_callbacks(execute=True):
        change_stage(deal, actor=deal.owner, stage=Deal.Stage.NEGOTIATION)

    assert notifications_of(fan) == []


def test_changes_by_three_people_aggregate_into_one_unread_notification(
    deal, follower, django_capture_on_commit_callbacks
):
    ann, bob = UserFactory(first_name="Ann", last_name="Lee"), UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        change_stage(deal, actor=deal.owner, stage=Deal.Stage.NEGOTIATION)
        change_stage(deal, actor=bob, stage=Deal.Stage.CLOSED_WON)
        change_stage(deal, actor=deal.owner, stage=Deal.Stage.NEGOTIATION)
        last = change_stage(deal, actor=ann, stage=Deal.Stage.CLOSED_LOST)

    [notification] = notifications_of(follower)
    assert (notification.activity_id, notification.actor_id, notification.actor_count) == (last.pk, ann.pk, 3)
    assert notification_title(notification) == "Ann Lee and 2 others updated ACME rebrand"
    assert unread_count(user_id=follower.pk) == 1


def test_likes_by_four_people_read_as_one_person_and_three_others(deal, django_capture_on_commit_callbacks):
    likers = [UserFactory(first_name=name, last_name="Doe") for name in ("Ann", "Bob", "Cy", "Di")]
    activities = []
    with django_capture_on_commit_callbacks(execute=True):
        for liker in likers:
            activities.append(like(deal, actor=liker))
    owner = deal.owner

    for activity in activities:
        services.notify(recipients=[owner.pk], reason=Reason.LIKED, activity=activity)

    [notification] = [n for n in notifications_of(owner) if n.reason == Reason.LIKED]
    assert notification_title(notification) == "Di Doe and 3 others liked ACME rebrand"
    assert unread_count(user_id=owner.pk) == 1


def test_a_change_after_reading_starts_a_new_notification(deal, follower, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        change_stage(deal, actor=deal.owner, stage=Deal.Stage.NEGOTIATION)
    [first] = notifications_of(follower)
    services.notification_mark_read(user=follower, notification=first)

    with django_capture_on_commit_callbacks(execute=True):
        second_change = change_stage(deal, actor=deal.owner, stage=Deal.Stage.CLOSED_WON)

    first_again, second = notifications_of(follower)
    assert (first_again.pk, first_again.unread, first_again.open_key) == (first.pk, False, None)
    assert (second.activity_id, second.unread, second.actor_count) == (second_change.pk, True, 1)
    assert unread_count(user_id=follower.pk) == 1


def test_applying_the_same_activity_twice_changes_nothing(deal, follower, django_capture_on_commit_callbacks):
    other = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        change_stage(deal, actor=deal.owner, stage=Deal.Stage.NEGOTIATION)
        update = change_stage(deal, actor=other, stage=Deal.Stage.CLOSED_WON)
    before = [(n.pk, n.activity_id, n.actor_count) for n in notifications_of(follower)]

    again = services.notify_for_activity(activity_id=update.pk, recipient_ids=[follower.pk, deal.owner.pk])

    assert again.recipients == []
    assert [(n.pk, n.activity_id, n.actor_count) for n in notifications_of(follower)] == before
    assert before == [(before[0][0], update.pk, 2)]
    assert unread_count(user_id=follower.pk) == 1


def test_an_older_activity_arriving_late_counts_its_actor_but_keeps_the_newest_as_headline(deal, follower):
    first = change_stage(deal, actor=UserFactory(), stage=Deal.Stage.NEGOTIATION)
    second = change_stage(deal, actor=UserFactory(), stage=Deal.Stage.CLOSED_WON)

    services.notify_for_activity(activity_id=second.pk, recipient_ids=[follower.pk])
    services.notify_for_activity(activity_id=first.pk, recipient_ids=[follower.pk])

    [notification] = notifications_of(follower)
    assert (notification.activity_id, notification.actor_id, notification.actor_count) == (
        second.pk,
        second.actor_id,
        2,
    )


def test_new_owner_is_told_they_were_assigned(deal, django_capture_on_commit_callbacks):
    heir = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        record_update(record=deal, actor=deal.owner, data={"owner": heir})

    [notification] = notifications_of(heir)
    assert notification.reason == Reason.ASSIGNED
    assert notification_title(notification) == (
        f"{deal.owner.display_name} made {heir.display_name} the owner of ACME rebrand"
    )


def test_reason_turned_off_or_record_muted_means_no_notification(deal, django_capture_on_commit_callbacks):
    silent, muter, normal = UserFactory(), UserFactory(), UserFactory()
    for person in (silent, muter, normal):
        follow_create(user=person, stream=deal.stream_key)
    services.channel_set(user=silent, reason=Reason.RECORD_CHANGED, channel=Channel.OFF)
    services.notification_mute(user=muter, stream=deal.stream_key)

    with django_capture_on_commit_callbacks(execute=True):
        change_stage(deal, actor=deal.owner, stage=Deal.Stage.NEGOTIATION)

    assert (len(notifications_of(silent)), len(notifications_of(muter)), len(notifications_of(normal))) == (
        0,
        0,
        1,
    )
    assert UnreadCounter.objects.filter(user=silent).exists() is False


def test_marking_read_twice_lowers_the_counter_once(deal, follower, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        change_stage(deal, actor=deal.owner, stage=Deal.Stage.NEGOTIATION)
    services.notify(recipients=[follower.pk], reason=Reason.LIKED, activity=like(deal, actor=UserFactory()))
    first = notifications_of(follower)[0]

    assert services.notification_mark_read(user=follower, notification=first) == 1
    assert services.notification_mark_read(user=follower, notification=first) == 1
    assert services.notification_mark_all_read(user=follower) == 1
    assert services.notification_mark_all_read(user=follower) == 0
    assert unread_count(user_id=follower.pk) == 0
    assert Notification.objects.filter(recipient=follower, unread=True).count() == 0


def test_digest_channel_marks_the_notification_for_the_digest(
    deal, follower, django_capture_on_commit_callbacks
):
    services.channel_set(user=follower, reason=Reason.RECORD_CHANGED, channel=Channel.DIGEST)

    with django_capture_on_commit_callbacks(execute=True):
        change_stage(deal, actor=deal.owner, stage=Deal.Stage.NEGOTIATION)

    assert [n.digest_pending for n in notifications_of(follower)] == [True]


@pytest.mark.parametrize(
    ("utc_time", "tz_name", "start", "end", "quiet"),
    [
        ("23:30", "UTC", "22:00", "07:00", True),
        ("06:59", "UTC", "22:00", "07:00", True),
        ("07:00", "UTC", "22:00", "07:00", False),
        ("12:00", "UTC", "13:00", "14:00", False),
        ("13:30", "UTC", "13:00", "14:00", True),
        # 04:00 UTC is 23:00 the day before in New York (EST, UTC-5, in November).
        ("04:00", "America/New_York", "22:00", "07:00", True),
        ("04:00", "Asia/Tokyo", "22:00", "07:00", False),
        ("04:00", "Not/AZone", "22:00", "07:00", True),
        ("23:00", "UTC", None, None, False),
    ],
)
def test_quiet_hours_are_read_in_the_persons_time_zone(utc_time, tz_name, start, end, quiet):
    hour, minute = map(int, utc_time.split(":"))
    now = dt.datetime(2026, 11, 23, hour, minute, tzinfo=dt.UTC)

    def parse(value: str | None) -> dt.time | None:
        return dt.time.fromisoformat(value) if value else None

    assert services.in_quiet_hours(now=now, tz_name=tz_name, start=parse(start), end=parse(end)) is quiet
