"""Hybrid fan-out: streams over FEEDHUB["FANOUT_THRESHOLD"] followers are merged at read time.

Both sides of the threshold must give every reader the same feed: same items, same order, and
cursors that page across the merge, with per-follow settings and visibility still applied.
"""

from collections.abc import Callable

import pytest

from apps.activity import registry, selectors
from apps.activity.models import Activity, InboxEntry, MergedStream
from apps.activity.services import ObjectRef, activity_publish, follow_create
from apps.notifications.models import Notification
from apps.records.services import record_update
from apps.social.services import post_create
from tests.accounts.factories import UserFactory
from tests.records.factories import make_brief, make_client, make_deal

pytestmark = pytest.mark.django_db

COPIED, MERGED = 1000, 2


@pytest.fixture
def threshold(request, settings) -> int:
    settings.FEEDHUB = {**settings.FEEDHUB, "FANOUT_THRESHOLD": request.param}
    return request.param


@pytest.fixture
def publish(django_capture_on_commit_callbacks) -> Callable[..., Activity]:
    def run(*, actor, obj: str, verb: str = "Update") -> Activity:
        kind, _, object_id = obj.partition(":")
        with django_capture_on_commit_callbacks(execute=True):
            return activity_publish(actor=actor, verb=verb, obj=ObjectRef(type=kind, id=object_id))

    return run


def whole_feed(user, page_size: int) -> list[int]:
    """Every item of the user's news feed, page by page through the cursors."""
    ids: list[int] = []
    before = None
    while True:
        page = selectors.news_feed(user=user, before=before, limit=page_size)
        ids += [a.pk for a in page.items]
        if page.next_cursor is None:
            return ids
        before = page.next_cursor


@pytest.mark.parametrize("threshold", [COPIED, MERGED], indirect=True)
def test_a_feed_is_the_same_whether_a_big_stream_is_copied_or_merged(threshold, publish):
    celebrity, neighbour, reader = UserFactory(), UserFactory(), UserFactory()
    for fan in [reader, *(UserFactory() for _ in range(3))]:
        follow_create(user=fan, stream=celebrity.stream_key)
    follow_create(user=reader, stream="ext:small")

    published = []
    for i in range(9):
        if i % 3 == 2:
            published.append(publish(actor=neighbour, obj="ext:small"))
        else:
            published.append(publish(actor=celebrity, obj=f"ext:c{i}"))
    # Reaches the reader both through the copied stream and the (maybe merged) celebrity's.
    published.append(publish(actor=celebrity, obj="ext:small"))

    assert whole_feed(reader, page_size=3) == sorted((a.pk for a in published), reverse=True)
    assert MergedStream.objects.filter(stream=celebrity.stream_key).exists() is (threshold == MERGED)
    # Merged: the first celebrity activity (the one that found the stream too big) and those
    # also on `ext:small` were copied; the others are read from the stream.
    copied = InboxEntry.objects.filter(user=reader).count()
    assert copied == (10 if threshold == COPIED else 5)


@pytest.mark.parametrize("threshold", [COPIED, MERGED], indirect=True)
def test_a_feed_page_costs_one_query_on_either_side_of_the_threshold(
    threshold, publish, django_assert_num_queries
):
    celebrity, reader = UserFactory(), UserFactory()
    for fan in [reader, *(UserFactory() for _ in range(3))]:
        follow_create(user=fan, stream=celebrity.stream_key)
    first = [publish(actor=celebrity, obj=f"ext:{i}") for i in range(4)]

    with django_assert_num_queries(1):
        page = selectors.news_feed(user=reader, before=first[-1].pk, limit=2)

    assert [a.pk for a in page.items] == [first[2].pk, first[1].pk]


@pytest.mark.parametrize("threshold", [COPIED, MERGED], indirect=True)
def test_mute_and_verb_filters_apply_to_merged_streams(threshold, publish):
    celebrity, creates_only, muted = UserFactory(), UserFactory(), UserFactory()
    follow_create(user=creates_only, stream=celebrity.stream_key, verbs=["Create"])
    follow_create(user=muted, stream=celebrity.stream_key, muted=True)
    for _ in range(2):
        follow_create(user=UserFactory(), stream=celebrity.stream_key)
    publish(actor=celebrity, obj="ext:1")  # the fan-out that may promote the stream
    created = publish(actor=celebrity, obj="ext:2", verb="Create")
    publish(actor=celebrity, obj="ext:3", verb="Update")

    assert whole_feed(creates_only, page_size=20) == [created.pk]
    assert whole_feed(muted, page_size=20) == []


@pytest.fixture
def vault(monkeypatch):
    """A kind whose objects one person (`vault.outsider`) may not see, at fan-out and on reads."""
    outsider = UserFactory()
    kind = registry.StreamKind(
        prefix="vault",
        label="Vault",
        users_who_can_see=lambda object_id, user_ids: set(user_ids) - {outsider.pk},
        visible_object_ids=lambda viewer, ids: set() if viewer.pk == outsider.pk else set(ids),
    )
    monkeypatch.setitem(registry._kinds, "vault", kind)
    return outsider


@pytest.mark.parametrize("threshold", [COPIED, MERGED], indirect=True)
def test_visibility_applies_to_merged_streams(threshold, publish, vault):
    outsider, insider, actor = vault, UserFactory(), UserFactory()
    for person in (outsider, insider, UserFactory()):
        follow_create(user=person, stream="vault:1")
    secrets = [publish(actor=actor, obj="vault:1") for _ in range(3)]

    assert whole_feed(insider, page_size=2) == [a.pk for a in reversed(secrets)]
    assert whole_feed(outsider, page_size=2) == []
    assert InboxEntry.objects.filter(user=outsider).count() == 0
    assert MergedStream.objects.filter(stream="vault:1").exists() is (threshold == MERGED)


@pytest.mark.parametrize("threshold", [MERGED], indirect=True)
def test_websocket_drain_reads_merged_streams_after_a_position(threshold, publish):
    celebrity, reader = UserFactory(), UserFactory()
    for fan in [reader, *(UserFactory() for _ in range(3))]:
        follow_create(user=fan, stream=celebrity.stream_key)
    promoting = publish(actor=celebrity, obj="ext:1")
    later = [publish(actor=celebrity, obj=f"ext:{i}") for i in (2, 3, 4)]

    first = selectors.merged_after(user=reader, position=promoting.pk, limit=2)
    rest = selectors.merged_after(user=reader, position=first.position, limit=2)

    assert first.streams == [celebrity.stream_key]
    assert ([a.pk for a in first.activities], first.more) == ([later[0].pk, later[1].pk], True)
    assert ([a.pk for a in rest.activities], rest.more) == ([later[2].pk], False)


@pytest.mark.parametrize("threshold", [COPIED, MERGED], indirect=True)
def test_a_client_follow_without_related_records_gets_only_the_clients_own_activity(
    threshold, django_capture_on_commit_callbacks
):
    owner = UserFactory()
    client = make_client(owner=owner)
    own_only, everything = UserFactory(), UserFactory()
    follow_create(user=own_only, stream=client.stream_key, include_related=False)
    follow_create(user=everything, stream=client.stream_key)
    follow_create(user=UserFactory(), stream=client.stream_key)
    start = selectors.newest_activity_id()

    with django_capture_on_commit_callbacks(execute=True):
        # The owner follows the client too: this fan-out finds four followers (merged above 2).
        record_update(record=client, actor=owner, data={"name": "ACME Group"})
    with django_capture_on_commit_callbacks(execute=True):
        deal = make_deal(client=client, owner=owner)
        brief = make_brief(client=client, owner=owner)
        record_update(record=deal, actor=owner, data={"stage": "negotiation"})
        post_create(author=owner, stream=client.stream_key, body="Kick-off on Monday")
        record_update(record=brief, actor=owner, data={"status": "in_review"})
        record_update(record=client, actor=owner, data={"tier": "key"})
    new = Activity.objects.filter(pk__gt=start).order_by("-pk")
    own = list(new.filter(object_type__in=["client", "post"]).values_list("pk", flat=True))
    related = list(new.filter(object_type__in=["deal", "brief"]).values_list("pk", flat=True))

    assert MergedStream.objects.filter(stream=client.stream_key).exists() is (threshold == MERGED)
    assert (len(own), len(related)) == (3, 4)
    # A merged stream's feed also holds what it carried before the follow: compare what came after.
    assert [pk for pk in whole_feed(own_only, page_size=2) if pk > start] == own
    assert [pk for pk in whole_feed(everything, page_size=2) if pk > start] == sorted(
        [*own, *related], reverse=True
    )
    # Live delivery of a merged stream reads through the same switch.
    live = selectors.merged_after(user=own_only, position=start, limit=50)
    assert [a.pk for a in reversed(live.activities)] == (own if threshold == MERGED else [])
    # Rolled-up activity never notifies (its record's own followers are told), switch or not.
    notified = Notification.objects.filter(recipient__in=[own_only, everything]).values_list(
        "target", flat=True
    )
    assert set(notified) == {client.stream_key}


@pytest.mark.parametrize("threshold", [COPIED, MERGED], indirect=True)
def test_a_new_follower_gets_what_happens_after_following_on_either_side_of_the_threshold(threshold, publish):
    celebrity, late_fan = UserFactory(), UserFactory()
    for fan in (UserFactory() for _ in range(3)):
        follow_create(user=fan, stream=celebrity.stream_key)
    before = [publish(actor=celebrity, obj=f"ext:old{i}") for i in range(3)]

    follow_create(user=late_fan, stream=celebrity.stream_key)
    after = [publish(actor=celebrity, obj=f"ext:new{i}") for i in range(2)]

    assert MergedStream.objects.filter(stream=celebrity.stream_key).exists() is (threshold == MERGED)
    assert whole_feed(late_fan, page_size=2) == [a.pk for a in reversed(after)]
    assert not set(whole_feed(late_fan, page_size=10)) & {a.pk for a in before}
    # Live delivery reads merged streams the same way.
    assert [a.pk for a in selectors.merged_after(user=late_fan, position=0, limit=10).activities] == (
        [a.pk for a in after] if threshold == MERGED else []
    )
