import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.activity import registry
from apps.activity.models import Activity, ActivityStream, Follow, InboxEntry
from apps.activity.selectors import news_feed
from apps.activity.services import follow_create
from apps.notifications.models import Notification
from apps.social.models import ActivityCounts, Comment, Post, Topic
from apps.social.services import (
    comment_create,
    comment_delete,
    comment_like_create,
    comment_like_delete,
    comment_update,
    group_create,
    like_create,
    like_delete,
    membership_add,
    post_create,
    post_delete,
    post_update,
)
from tests.accounts.factories import UserFactory
from tests.records.factories import make_deal
from tests.social.factories import make_comment, make_post

pytestmark = pytest.mark.django_db


def inbox_of(user) -> list[int]:
    return list(
        InboxEntry.objects.filter(user=user).order_by("activity_id").values_list("activity_id", flat=True)
    )


def test_post_on_a_deal_is_a_create_activity_that_reaches_the_deals_followers(
    django_capture_on_commit_callbacks,
):
    deal = make_deal()
    follower, stranger = UserFactory(), UserFactory()
    follow_create(user=follower, stream=deal.stream_key)

    with django_capture_on_commit_callbacks(execute=True):
        post = post_create(author=deal.owner, stream=deal.stream_key, body="Signed **today**")

    activity = post.activity
    assert (activity.verb, activity.object_type, activity.object_id) == ("Create", "post", str(post.pk))
    assert (activity.target_type, activity.target_id, activity.target_name) == (
        "deal",
        str(deal.pk),
        "ACME rebrand",
    )
    assert activity.summary == f"{deal.owner.display_name} posted on ACME rebrand"
    assert post.body_html == "<p>Signed <strong>today</strong></p>"
    assert inbox_of(follower) == [activity.pk]
    assert inbox_of(stranger) == []
    assert Follow.objects.filter(user=deal.owner, stream=f"post:{post.pk}").exists()


def test_mentioned_people_get_the_post_without_following_anything(django_capture_on_commit_callbacks):
    author = UserFactory()
    dana, bystander = UserFactory(username="dana"), UserFactory(username="bob")

    with django_capture_on_commit_callbacks(execute=True):
        post = post_create(author=author, stream=author.stream_key, body="Over to you @Dana.")

    assert inbox_of(dana) == [post.activity_id]
    assert inbox_of(bystander) == []
    assert f"mention:{dana.pk}" in set(
        ActivityStream.objects.filter(activity_id=post.activity_id).values_list("stream", flat=True)
    )
    assert (
        post.body_html
        == f'<p>Over to you <a href="/people/{dana.pk}/" rel="nofollow noopener">@Dana</a>.</p>'
    )


def test_hashtags_create_a_topic_once_and_reach_its_followers(django_capture_on_commit_callbacks):
    first = make_post(body="Thoughts on #Pricing")
    fan = UserFactory()
    follow_create(user=fan, stream="topic:pricing")

    with django_capture_on_commit_callbacks(execute=True):
        second = make_post(body="More #pricing and #q4")

    assert sorted(Topic.objects.values_list("slug", flat=True)) == ["pricing", "q4"]
    assert inbox_of(fan) == [second.activity_id]
    assert ActivityStream.objects.filter(stream="topic:pricing").count() == 2
    assert first.activity_id != second.activity_id


@pytest.mark.parametrize("stream", ["deal:999999", "user:999999", "nope:1", "post:1", "mention:1", "deal"])
def test_posting_on_an_unknown_or_unpostable_stream_is_refused(stream):
    author = UserFactory()

    with pytest.raises(ValidationError) as error:
        post_create(author=author, stream=stream, body="hello")

    assert list(error.value.message_dict) == ["stream"]
    assert Post.objects.count() == 0


def test_blank_post_is_refused():
    author = UserFactory()

    with pytest.raises(ValidationError) as error:
        post_create(author=author, stream=author.stream_key, body="   \n")

    assert list(error.value.message_dict) == ["body"]


def test_only_the_author_or_staff_edit_and_delete_and_deletion_leaves_a_tombstone():
    post = make_post(body="first")
    other, staff = UserFactory(), UserFactory(is_staff=True)

    with pytest.raises(PermissionDenied):
        post_update(post=post, actor=other, body="hijack")
    with pytest.raises(PermissionDenied):
        post_delete(post=post, actor=other)
    edited = post_update(post=post, actor=post.author, body="*second*")
    assert (edited.body, edited.body_html, edited.edited_at is not None) == (
        "*second*",
        "<p><em>second</em></p>",
        True,
    )

    post_delete(post=post, actor=staff)

    fresh = Post.objects.get(pk=post.pk)
    assert (fresh.body, fresh.body_html, fresh.deleted_at is not None) == ("", "", True)
    assert Activity.objects.filter(pk=post.activity_id).exists()


def test_comment_counts_and_reaches_the_post_thread(django_capture_on_commit_callbacks):
    post = make_post()
    commenter, second = UserFactory(), UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        first = comment_create(author=commenter, activity=post.activity, body="Great")
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(author=second, activity=post.activity, body="Agreed")

    assert ActivityCounts.objects.get(pk=post.activity_id).comment_count == 2
    reply = Activity.objects.filter(object_type="comment").order_by("pk")
    assert [(a.target_type, a.target_id) for a in reply] == [("post", str(post.pk))] * 2
    # The author follows the post; a commenter starts following it and hears about later replies.
    assert reply[1].pk in inbox_of(post.author)
    assert reply[1].pk in inbox_of(commenter)

    comment_delete(comment=first, actor=commenter)
    comment_delete(comment=first, actor=commenter)

    assert ActivityCounts.objects.get(pk=post.activity_id).comment_count == 1
    tomb = Comment.objects.get(pk=first.pk)
    assert (tomb.body, tomb.deleted_at is not None) == ("", True)


def test_comment_on_a_tracked_change_reaches_the_records_followers(django_capture_on_commit_callbacks):
    deal = make_deal()
    follower = UserFactory()
    follow_create(user=follower, stream=deal.stream_key)
    created = Activity.objects.get(object_type="deal", object_id=str(deal.pk))

    with django_capture_on_commit_callbacks(execute=True):
        make_comment(activity=created, body="Who is on the call?")

    reply = Activity.objects.get(object_type="comment")
    assert (reply.target_type, reply.target_id) == ("deal", str(deal.pk))
    assert inbox_of(follower) == [reply.pk]


def test_comments_on_comment_activities_are_refused():
    post = make_post()
    make_comment(activity=post.activity)
    reply = Activity.objects.get(object_type="comment")

    with pytest.raises(ValidationError):
        comment_create(author=post.author, activity=reply, body="nested")


def test_likes_are_idempotent_and_counted():
    post = make_post()
    fan, other = UserFactory(), UserFactory()

    assert like_create(user=fan, activity=post.activity) is True
    assert like_create(user=fan, activity=post.activity) is False
    assert like_create(user=other, activity=post.activity) is True
    assert ActivityCounts.objects.get(pk=post.activity_id).like_count == 2

    assert like_delete(user=fan, activity=post.activity) is True
    assert like_delete(user=fan, activity=post.activity) is False
    assert ActivityCounts.objects.get(pk=post.activity_id).like_count == 1


def test_comment_likes_are_idempotent_and_counted():
    post = make_post()
    comment = make_comment(activity=post.activity)
    fan = UserFactory()

    comment_like_create(user=fan, comment=comment)
    comment_like_create(user=fan, comment=comment)
    assert Comment.objects.get(pk=comment.pk).like_count == 1

    comment_like_delete(user=fan, comment=comment)
    comment_like_delete(user=fan, comment=comment)
    assert Comment.objects.get(pk=comment.pk).like_count == 0


def test_mention_streams_cannot_be_followed():
    user = UserFactory()

    with pytest.raises(ValidationError):
        follow_create(user=user, stream=f"mention:{UserFactory().pk}")


@pytest.fixture
def deliveries(monkeypatch) -> list[tuple[int, list[int], bool]]:
    """What the delivery sinks are handed: (activity, recipients, late), through a registered probe."""
    seen: list[tuple[int, list[int], bool]] = []
    monkeypatch.setitem(
        registry._sinks,
        "probe",
        lambda batch: seen.append((batch.activity.pk, batch.recipient_ids, batch.late)),
    )
    return seen


def test_a_mention_added_by_editing_a_post_reaches_the_news_feed_and_live_delivery_once(
    deliveries, django_capture_on_commit_callbacks
):
    author, follower, dana = UserFactory(), UserFactory(), UserFactory(username="dana")
    follow_create(user=follower, stream=author.stream_key)
    with django_capture_on_commit_callbacks(execute=True):
        post = post_create(author=author, stream=author.stream_key, body="Plans")
    deliveries.clear()

    with django_capture_on_commit_callbacks(execute=True):
        post_update(post=post, actor=author, body="Plans, @dana?")
        post_update(post=post, actor=author, body="Plans, @dana? Soon.")
        post_update(post=post, actor=author, body="Plans.")
        post_update(post=post, actor=author, body="Plans again, @dana!")

    assert inbox_of(dana) == [post.activity_id]
    assert [a.pk for a in news_feed(user=dana).items] == [post.activity_id]
    # Only the newly mentioned person hears of it, once; followers are not pushed it again.
    assert deliveries == [(post.activity_id, [dana.pk], True)]
    assert inbox_of(follower) == [post.activity_id]


def test_a_mention_added_by_editing_a_comment_reaches_the_news_feed_once(
    deliveries, django_capture_on_commit_callbacks
):
    author, commenter, sam = UserFactory(), UserFactory(), UserFactory(username="sam")
    with django_capture_on_commit_callbacks(execute=True):
        post = post_create(author=author, stream=author.stream_key, body="Plans?")
        comment = comment_create(author=commenter, activity=post.activity, body="Ask around")
    deliveries.clear()

    with django_capture_on_commit_callbacks(execute=True):
        comment_update(comment=comment, actor=commenter, body="Ask @sam")
        comment_update(comment=comment, actor=commenter, body="Ask @sam, really")

    reply = Activity.objects.get(object_type="comment", object_id=str(comment.pk))
    assert inbox_of(sam) == [reply.pk]
    assert deliveries == [(reply.pk, [sam.pk], True)]


def test_a_mention_added_by_an_edit_never_reaches_someone_who_may_not_see_the_post(
    deliveries, django_capture_on_commit_callbacks
):
    owner, member, outsider = UserFactory(), UserFactory(), UserFactory(username="outsider")
    group = group_create(actor=owner, name="Board", is_private=True)
    membership_add(group=group, user=member, actor=owner)
    with django_capture_on_commit_callbacks(execute=True):
        post = post_create(author=owner, stream=group.stream_key, body="Numbers")
        comment = comment_create(author=member, activity=post.activity, body="Looks right")
    deliveries.clear()

    with django_capture_on_commit_callbacks(execute=True):
        post_update(post=post, actor=owner, body="Numbers for @outsider")
        comment_update(comment=comment, actor=member, body="Looks right, @outsider")

    assert inbox_of(outsider) == []
    assert deliveries == []
    assert not Notification.objects.filter(recipient=outsider).exists()
