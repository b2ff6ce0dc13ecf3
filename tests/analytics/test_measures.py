"""Every figure checked against the hand-counted story in factories.py."""

import pytest

from apps.activity.models import Activity
from apps.analytics.selectors import (
    Lens,
    Measures,
    Scope,
    activity_series,
    scope_measures,
    subject_measures,
    top_subjects,
    trending,
)
from apps.analytics.services import rollup_range
from apps.records.models import Visibility
from apps.records.services import record_update, record_visibility_set
from tests.analytics.factories import DAY1, DAY2, at
from tests.records.factories import make_deal

pytestmark = pytest.mark.django_db


def measures_of(viewer, subject):
    return subject_measures(lens=Lens(viewer=viewer), subject=subject, since=DAY1, until=DAY2)


def test_company_wide_measures_match_the_hand_count(story):
    measures = scope_measures(lens=Lens(viewer=story.ann), scope=Scope(since=DAY1, until=DAY2))

    assert measures == Measures(
        activities=7,
        posts=1,
        comments=3,
        likes=3,
        followers_gained=3,
        followers_lost=1,
        participants=4,
        median_response_seconds=1800.0,
        responses=1,
    )
    assert measures.score == 7 + 1 + 2 * 3 + 3 + 3 * (3 - 1)


def test_deal_measures_count_its_posts_replies_likes_and_followers(story):
    measures = measures_of(story.ann, story.deal.stream_key)

    assert measures == Measures(
        activities=6,
        posts=1,
        comments=3,
        likes=3,
        followers_gained=2,
        followers_lost=1,
        participants=4,
        median_response_seconds=1800.0,
        responses=1,
    )
    assert measures.score == 19


def test_client_counts_the_creation_of_its_deal_and_its_rolled_up_changes(story):
    measures = measures_of(story.ann, story.client.stream_key)

    # Its creation, its deal's creation and the deal's stage change (rolled up to the client's
    # stream); Ann follows it; Ann and Bob (who liked the change) take part: 3 + 1 + 3×1 = 7.
    assert (measures.activities, measures.followers_gained, measures.participants, measures.score) == (
        3,
        1,
        2,
        7,
    )


def test_person_measures_count_what_they_did_and_likes_on_their_posts(story):
    bob = measures_of(story.ann, story.bob.stream_key)

    assert bob == Measures(
        activities=2,
        posts=1,
        comments=1,
        likes=2,
        participants=3,
        median_response_seconds=1800.0,
        responses=1,
    )


def test_private_group_content_is_not_counted_for_a_non_member(story):
    outsider = measures_of(story.eve, "topic:pricing")
    member = measures_of(story.cai, "topic:pricing")

    assert (outsider.activities, outsider.posts, outsider.likes, outsider.participants) == (1, 1, 2, 3)
    assert (member.activities, member.posts, member.likes, member.participants) == (2, 2, 2, 3)
    assert measures_of(story.eve, story.dee.stream_key) == Measures()
    assert measures_of(story.cai, story.dee.stream_key).posts == 1


def test_company_wide_figures_include_a_private_group_for_its_members_only(story):
    scope = Scope(since=DAY1, until=DAY2)

    member = scope_measures(lens=Lens(viewer=story.cai), scope=scope)
    outsider = scope_measures(lens=Lens(viewer=story.eve), scope=scope)

    assert (member.activities, member.posts, member.followers_gained) == (9, 2, 5)
    assert (outsider.activities, outsider.posts, outsider.followers_gained) == (7, 1, 3)


def test_group_measures_for_a_member(story):
    measures = measures_of(story.cai, story.group.stream_key)

    assert (measures.activities, measures.posts, measures.followers_gained, measures.participants) == (
        2,
        1,
        2,
        2,
    )
    assert measures.score == 9


def test_series_has_one_entry_per_day(story):
    series = activity_series(lens=Lens(viewer=story.ann), scope=Scope(since=DAY1, until=DAY2))

    assert [(d.day, d.activities, d.posts, d.comments, d.likes) for d in series] == [
        (DAY1, 5, 1, 2, 2),
        (DAY2, 2, 0, 1, 1),
    ]


def test_top_subjects_rank_by_score_then_stream(story):
    top = top_subjects(lens=Lens(viewer=story.ann), scope=Scope(since=DAY1, until=DAY2), limit=10)

    assert [(row.subject, row.measures.score) for row in top] == [
        (story.deal.stream_key, 19),
        (story.client.stream_key, 7),
        (story.ann.stream_key, 7),
        (story.bob.stream_key, 7),
        ("topic:pricing", 4),
        (story.cai.stream_key, 3),
    ]
    assert top[0].name == "Deal X"
    assert top[0].url == f"/deals/{story.deal.pk}/"
    assert top[0].measures.participants == 4


def test_top_records_only(story):
    top = top_subjects(
        lens=Lens(viewer=story.ann),
        scope=Scope(since=DAY1, until=DAY2, subject_types=("client", "brief", "deal")),
    )

    assert [row.subject for row in top] == [story.deal.stream_key, story.client.stream_key]


def test_trending_compares_a_period_with_its_own_baseline(story):
    """Day 2 against day 1 as one of four baseline days: deal X had 4 activities on day 1, 2 on day 2."""
    scope = Scope(since=DAY2, until=DAY2)

    trends = trending(lens=Lens(viewer=story.cai), scope=scope)

    assert [(t.subject, t.activities, t.baseline, t.rise) for t in trends] == []
    low = trending(lens=Lens(viewer=story.cai), scope=Scope(since=DAY1, until=DAY1))
    assert [(t.subject, t.activities, t.baseline, t.rise) for t in low] == [
        (story.deal.stream_key, 4, 0.0, 5.0),
    ]


def test_whole_day_rows_serve_a_reader_who_sees_everything_and_per_context_rows_the_others(story):
    """Cai sees every context: whole-day rows answer. Ann does not see group G: per-context rows do."""
    scope = Scope(since=DAY1, until=DAY2)

    member = activity_series(lens=Lens(viewer=story.cai), scope=scope)
    outsider = activity_series(lens=Lens(viewer=story.ann), scope=scope)

    assert scope.whole_days(Lens(viewer=story.cai)) is not None
    assert scope.whole_days(Lens(viewer=story.ann)) is None
    assert [(d.activities, d.posts, d.comments, d.likes) for d in member] == [(5, 1, 2, 2), (4, 1, 1, 1)]
    assert [(d.activities, d.posts, d.comments, d.likes) for d in outsider] == [(5, 1, 2, 2), (2, 0, 1, 1)]


def test_a_private_deal_counts_only_for_those_who_may_see_it(story):
    secret = make_deal(
        owner=story.bob, client=story.client, name="Secret deal", visibility=Visibility.PRIVATE
    )
    record_update(record=secret, actor=story.bob, data={"stage": "negotiation"})
    Activity.objects.filter(object_type="deal", object_id=str(secret.pk)).update(published=at(DAY2, 12))
    rollup_range(first=DAY1, last=DAY2)
    scope = Scope(since=DAY1, until=DAY2, subject_types=("deal",))

    owner = top_subjects(lens=Lens(viewer=story.bob), scope=scope)
    other = top_subjects(lens=Lens(viewer=story.eve), scope=scope)

    assert secret.stream_key in [row.subject for row in owner]
    assert secret.stream_key not in [row.subject for row in other]
    everything = Scope(since=DAY1, until=DAY2)
    assert scope_measures(lens=Lens(viewer=story.eve), scope=everything).activities == 7
    assert scope_measures(lens=Lens(viewer=story.bob), scope=everything).activities == 9


def test_a_record_made_private_stops_counting_at_once_despite_the_cached_lens(
    story, django_capture_on_commit_callbacks
):
    everything = Scope(since=DAY1, until=DAY2)
    assert scope_measures(lens=Lens(viewer=story.eve), scope=everything).activities == 7

    with django_capture_on_commit_callbacks(execute=True):
        record_visibility_set(record=story.deal, actor=story.ann, visibility=Visibility.PRIVATE)

    assert scope_measures(lens=Lens(viewer=story.eve), scope=everything).activities == 1
    assert scope_measures(lens=Lens(viewer=story.ann), scope=everything).activities == 7
