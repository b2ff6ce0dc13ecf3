"""Followers of a merged stream (more followers than FEEDHUB["FANOUT_THRESHOLD"]) get no inbox rows,
but they are still told when the record they follow changes: paged from the follow index, with the
same filters and visibility as copied fan-out."""

import pytest

from apps.activity.models import MergedStream
from apps.activity.services import follow_create
from apps.notifications.models import NotificationEvent
from apps.records.models import Visibility
from apps.records.services import record_share, record_visibility_set
from tests.accounts.factories import UserFactory
from tests.notifications.factories import change_stage
from tests.records.factories import make_deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def merged_above_two(settings):
    # One follower per notification page, so paging is exercised too.
    settings.FEEDHUB = {**settings.FEEDHUB, "FANOUT_THRESHOLD": 2, "NOTIFY_CHUNK_SIZE": 1}


def told_about(user, activity) -> bool:
    return NotificationEvent.objects.filter(
        recipient=user, activity=activity, notification__reason="record_changed"
    ).exists()


def test_followers_of_a_merged_record_are_told_it_changed(
    merged_above_two, django_capture_on_commit_callbacks
):
    deal = make_deal()
    fans = [UserFactory() for _ in range(4)]
    for fan in fans:
        follow_create(user=fan, stream=deal.stream_key)
    creates_only, muted = UserFactory(), UserFactory()
    follow_create(user=creates_only, stream=deal.stream_key, verbs=["Create"])
    follow_create(user=muted, stream=deal.stream_key, muted=True)
    with django_capture_on_commit_callbacks(execute=True):
        change_stage(deal, actor=deal.owner, stage="qualification")
    assert MergedStream.objects.filter(stream=deal.stream_key).exists()

    with django_capture_on_commit_callbacks(execute=True):
        merged_change = change_stage(deal, actor=deal.owner, stage="negotiation")

    assert [told_about(fan, merged_change) for fan in fans] == [True] * 4
    assert not told_about(creates_only, merged_change)
    assert not told_about(muted, merged_change)
    assert not told_about(deal.owner, merged_change)
    # Once each, however the pages and the copied path overlap.
    assert NotificationEvent.objects.filter(activity=merged_change).count() == 4


def test_a_merged_private_record_tells_only_followers_who_may_still_see_it(
    merged_above_two, django_capture_on_commit_callbacks
):
    deal = make_deal()
    insider, outsider, bystander = UserFactory(), UserFactory(), UserFactory()
    for fan in (insider, outsider, bystander):
        follow_create(user=fan, stream=deal.stream_key)
    with django_capture_on_commit_callbacks(execute=True):
        change_stage(deal, actor=deal.owner, stage="qualification")
        record_share(record=deal, actor=deal.owner, users=[insider])
        record_visibility_set(record=deal, actor=deal.owner, visibility=Visibility.PRIVATE)
    assert MergedStream.objects.filter(stream=deal.stream_key).exists()

    with django_capture_on_commit_callbacks(execute=True):
        merged_change = change_stage(deal, actor=deal.owner, stage="negotiation")

    assert told_about(insider, merged_change)
    assert not told_about(outsider, merged_change)
    assert not told_about(bystander, merged_change)
