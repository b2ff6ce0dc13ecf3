"""Unanswered questions show as cold spots, to those who may see them, until someone replies."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.activity.models import Activity
from apps.analytics.records import unanswered_questions
from apps.social.models import Post
from apps.social.services import comment_create, group_create, post_create
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def _question(author, stream, body, days_ago):
    post = post_create(author=author, stream=stream, body=body)
    Post.objects.filter(pk=post.pk).update(
        is_question=True, created_at=timezone.now() - timedelta(days=days_ago)
    )
    return post


def test_old_unanswered_questions_are_cold_spots_until_answered_and_only_for_those_who_may_see_them():
    asker, member, outsider = UserFactory(), UserFactory(), UserFactory()
    hidden_group = group_create(actor=asker, name="Board", is_private=True)
    old = _question(asker, asker.stream_key, "Who owns the Globex renewal?", days_ago=20)
    _question(asker, asker.stream_key, "Asked today, not cold yet", days_ago=0)
    private = _question(asker, hidden_group.stream_key, "Board-only budget question", days_ago=20)
    since = (timezone.now() - timedelta(days=7)).date()

    seen_by_asker = [c.subject for c in unanswered_questions(viewer=asker, since=since, limit=10)]
    seen_by_outsider = [c.subject for c in unanswered_questions(viewer=outsider, since=since, limit=10)]
    comment_create(author=member, activity=Activity.objects.get(pk=old.activity_id), body="I do")
    after_reply = [c.subject for c in unanswered_questions(viewer=asker, since=since, limit=10)]

    assert seen_by_asker == [old.stream_key, private.stream_key]
    assert seen_by_outsider == [old.stream_key]
    assert after_reply == [private.stream_key]
