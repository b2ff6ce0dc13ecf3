"""The rollup job: idempotent, safe to re-run, replaces a day; unfollows are recorded durably."""

import pytest

from apps.activity.models import Follow
from apps.activity.services import follow_create, follow_delete
from apps.analytics.models import DailyRollup, FollowEnded
from apps.analytics.services import rollup_day, rollup_range, rollup_recent
from apps.analytics.tasks import rollup_recent_task
from apps.social.models import Like
from apps.social.services import like_create
from tests.accounts.factories import UserFactory
from tests.analytics.factories import DAY1, DAY2, at, build_story
from tests.records.factories import make_deal

pytestmark = pytest.mark.django_db


def snapshot() -> list[tuple]:
    return sorted(
        DailyRollup.objects.values_list(
            "day",
            "subject",
            "context",
            "context2",
            "activities",
            "posts",
            "comments",
            "likes",
            "followers_gained",
            "followers_lost",
            "participants",
            "response_seconds",
        )
    )


def test_running_the_rollup_twice_gives_the_same_rows():
    build_story()
    rollup_range(first=DAY1, last=DAY2)
    first = snapshot()

    rollup_range(first=DAY1, last=DAY2)

    assert snapshot() == first
    assert len(first) == DailyRollup.objects.count() > 0


def test_re_running_a_day_replaces_it_with_late_data_and_leaves_other_days_alone():
    story = build_story()
    rollup_range(first=DAY1, last=DAY2)
    day2 = [r for r in snapshot() if r[0] == DAY2]
    like_create(user=story.eve, activity=story.post.activity)
    Like.objects.filter(user=story.eve).update(created_at=at(DAY1, 18))

    rows = rollup_day(day=DAY1)

    deal_day1 = DailyRollup.objects.get(
        day=DAY1, subject=story.deal.stream_key, context=story.deal.stream_key, context2=""
    )
    assert deal_day1.likes == 3
    assert story.eve.pk in deal_day1.participants
    assert rows == DailyRollup.objects.filter(day=DAY1).count()
    assert [r for r in snapshot() if r[0] == DAY2] == day2


def test_a_day_without_anything_has_no_rows_and_clears_stale_ones():
    DailyRollup.objects.create(
        day=DAY1, subject="deal:1", subject_type="deal", context="deal:1", activities=5
    )

    assert rollup_day(day=DAY1) == 0
    assert not DailyRollup.objects.exists()


def test_unfollow_is_kept_with_when_the_follow_began():
    person = UserFactory()
    deal = make_deal()
    follow_create(user=person, stream=deal.stream_key)
    Follow.objects.filter(user=person).update(created_at=at(DAY1, 8))

    assert follow_delete(user=person, stream=deal.stream_key) is True
    assert follow_delete(user=person, stream=deal.stream_key) is False

    [ended] = FollowEnded.objects.all()
    assert (ended.user_id, ended.stream, ended.followed_at) == (person.pk, deal.stream_key, at(DAY1, 8))


def test_the_beat_task_rolls_up_yesterday_and_today():
    deal = make_deal()

    written = rollup_recent_task.delay().get()

    assert written == rollup_recent() > 0
    assert DailyRollup.objects.filter(subject=deal.stream_key, activities=1).exists()
