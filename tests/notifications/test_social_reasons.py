"""Each social reason comes from the right action, reaches the right people, and no one else."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.activity.models import ActivityStream, Follow, InboxEntry
from apps.activity.selectors import company_feed
from apps.activity.services import follow_create
from apps.notifications.models import Notification
from apps.notifications.presenters import notification_title
from apps.notifications.services import channel_set, notification_mute
from apps.social.models import Membership
from apps.social.services import (
    comment_create,
    comment_like_create,
    comment_update,
    group_create,
    join_request_create,
    join_request_decide,
    like_create,
    membership_add,
    membership_remove,
    post_create,
    post_update,
)
from apps.social.services.polls import poll_vote, polls_close_due
from apps.social.services.questions import best_answer_choose
from tests.accounts.factories import UserFactory
from tests.notifications.factories import notifications_of
from tests.records.factories import make_deal

pytestmark = pytest.mark.django_db


def reasons(user) -> list[tuple[str, str]]:
    return [(n.reason, n.target) for n in notifications_of(user)]


def test_a_mention_tells_the_mentioned_person_only(django_capture_on_commit_callbacks):
    author, dana, bystander = UserFactory(), UserFactory(username="dana"), UserFactory()
    follow_create(user=bystander, stream=author.stream_key)

    with django_capture_on_commit_callbacks(execute=True):
        post = post_create(author=author, stream=author.stream_key, body="Over to you @dana")

    assert reasons(dana) == [("mentioned", f"post:{post.pk}")]
    assert reasons(bystander) == []
    assert reasons(author) == []
    # The mention auto-follows the thread, so replies reach the mentioned person.
    assert Follow.objects.filter(user=dana, stream=f"post:{post.pk}").exists()


def test_a_mention_on_a_record_nobody_else_may_see_tells_no_one_outside(django_capture_on_commit_callbacks):
    owner = UserFactory()
    group = group_create(actor=owner, name="Board", is_private=True)
    UserFactory(username="outsider")

    with django_capture_on_commit_callbacks(execute=True):
        post_create(author=owner, stream=group.stream_key, body="Numbers for @outsider")

    assert Notification.objects.filter(reason="mentioned").count() == 0


def test_editing_a_post_tells_only_the_newly_mentioned(django_capture_on_commit_callbacks):
    author, dana, sam = UserFactory(), UserFactory(username="dana"), UserFactory(username="sam")
    with django_capture_on_commit_callbacks(execute=True):
        post = post_create(author=author, stream=author.stream_key, body="Hi @dana")
        Notification.objects.update(unread=False, open_key=None)

        post_update(post=post, actor=author, body="Hi @dana and @sam")

    assert reasons(sam) == [("mentioned", f"post:{post.pk}")]
    assert len(reasons(dana)) == 1
    mentions = ActivityStream.objects.filter(activity_id=post.activity_id, stream__startswith="mention:")
    assert set(mentions.values_list("stream", flat=True)) == {f"mention:{dana.pk}", f"mention:{sam.pk}"}


def test_editing_a_comment_tells_only_the_newly_mentioned(django_capture_on_commit_callbacks):
    author, commenter, sam = UserFactory(), UserFactory(), UserFactory(username="sam")
    with django_capture_on_commit_callbacks(execute=True):
        post = post_create(author=author, stream=author.stream_key, body="Plans?")
        comment = comment_create(author=commenter, activity=post.activity, body="Ask around")

        comment_update(comment=comment, actor=commenter, body="Ask @sam")
        comment_update(comment=comment, actor=commenter, body="Ask @sam, really")

    assert reasons(sam) == [("mentioned", f"post:{post.pk}")]


def test_a_comment_tells_the_posts_author_but_not_other_commenters_or_one_who_muted_it(
    django_capture_on_commit_callbacks,
):
    author, first, second = UserFactory(), UserFactory(), UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        post = post_create(author=author, stream=author.stream_key, body="Plans?")
        comment_create(author=first, activity=post.activity, body="Yes")
        comment_create(author=second, activity=post.activity, body="Me too")

    [notification] = notifications_of(author)
    assert (notification.reason, notification.target, notification.actor_count) == (
        "commented",
        f"post:{post.pk}",
        2,
    )
    assert reasons(first) == []
    assert reasons(second) == []

    follow_create(user=author, stream=f"post:{post.pk}", muted=True)
    Notification.objects.update(unread=False, open_key=None)
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(author=first, activity=post.activity, body="Still there?")
    assert len(notifications_of(author)) == 1


def test_four_likes_aggregate_into_one_notification_for_the_author_only(django_capture_on_commit_callbacks):
    author = UserFactory()
    likers = [UserFactory(first_name=n, last_name="Lee") for n in ("Ann", "Bo", "Cy", "Di")]
    follower = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        post = post_create(author=author, stream=author.stream_key, body="Shipped the redesign")
        follow_create(user=follower, stream=author.stream_key)
        for liker in likers:
            like_create(user=liker, activity=post.activity)
        like_create(user=likers[0], activity=post.activity)

    [notification] = notifications_of(author)
    assert (notification.reason, notification.actor_count) == ("liked", 4)
    assert notification_title(notification) == "Di Lee and 3 others liked Shipped the redesign"
    assert all(reasons(u) == [] for u in [*likers, follower])
    # Likes reach nobody's feed.
    assert not InboxEntry.objects.filter(activity__verb="Like").exists()


def test_a_followed_record_change_still_tells_followers_and_not_commenters_of_its_feed(
    django_capture_on_commit_callbacks,
):
    deal = make_deal()
    follower, commenter = UserFactory(), UserFactory()
    follow_create(user=follower, stream=deal.stream_key)
    from apps.records.services import record_update

    with django_capture_on_commit_callbacks(execute=True):
        record_update(record=deal, actor=deal.owner, data={"stage": "negotiation"})

    assert reasons(follower) == [("record_changed", deal.stream_key)]
    assert reasons(commenter) == []


def test_best_answer_tells_the_answerer_only_and_moving_it_tells_the_new_one(
    django_capture_on_commit_callbacks,
):
    asker, first, second, watcher = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        question = post_create(author=asker, stream=asker.stream_key, body="Which vendor?", is_question=True)
        follow_create(user=watcher, stream=f"post:{question.pk}")
        a1 = comment_create(author=first, activity=question.activity, body="Globex")
        a2 = comment_create(author=second, activity=question.activity, body="Initech")
        best_answer_choose(post=question, comment=a1, actor=asker)
        best_answer_choose(post=question, comment=a1, actor=asker)
        best_answer_choose(post=question, comment=a2, actor=asker)

    assert reasons(first) == [("best_answer", f"post:{question.pk}")]
    assert reasons(second) == [("best_answer", f"post:{question.pk}")]
    assert [r for r, _ in reasons(watcher)] == []
    assert [r for r, _ in reasons(asker)] == ["commented"]


def test_being_added_to_a_group_or_approved_tells_that_person_only(django_capture_on_commit_callbacks):
    owner, added, asker, member = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    group = group_create(actor=owner, name="Board", is_private=True)
    with django_capture_on_commit_callbacks(execute=True):
        membership_add(group=group, user=member, actor=owner)
        Notification.objects.update(unread=False, open_key=None)
        membership_add(group=group, user=added, actor=owner)
        request = join_request_create(group=group, user=asker)
        join_request_decide(join_request=request, actor=owner, approve=True)

    assert reasons(added) == [("group_added", group.stream_key)]
    assert reasons(asker) == [("group_added", group.stream_key)]
    assert [n.unread for n in notifications_of(member)] == [False]
    # The owner, an admin, was asked.
    assert reasons(owner) == [("join_requested", group.stream_key)]


def test_a_closing_poll_tells_its_voters_and_author_and_no_one_else(django_capture_on_commit_callbacks):
    author, voter, bystander = UserFactory(), UserFactory(), UserFactory()
    follow_create(user=bystander, stream=author.stream_key)
    with django_capture_on_commit_callbacks(execute=True):
        poll = post_create(
            author=author,
            stream=author.stream_key,
            body="Lunch?",
            poll_choices=["Pizza", "Sushi"],
            poll_closes_at=timezone.now() + timedelta(minutes=5),
        )
        poll_vote(post=poll, user=voter, choice=1)
        assert polls_close_due() == 0
        assert polls_close_due(now=timezone.now() + timedelta(minutes=6)) == 1
        assert polls_close_due(now=timezone.now() + timedelta(minutes=7)) == 0

    assert reasons(voter) == [("poll_closed", f"post:{poll.pk}")]
    assert reasons(author) == [("poll_closed", f"post:{poll.pk}")]
    assert reasons(bystander) == []


def test_new_reasons_follow_email_preferences(mailbox, django_capture_on_commit_callbacks):
    asker, answerer, quiet = UserFactory(), UserFactory(first_name="Priya", last_name="Shah"), UserFactory()
    channel_set(user=quiet, reason="best_answer", channel="in_app")
    with django_capture_on_commit_callbacks(execute=True):
        question = post_create(author=asker, stream=asker.stream_key, body="Which vendor?", is_question=True)
        loud_answer = comment_create(author=answerer, activity=question.activity, body="Globex")
        quiet_answer = comment_create(author=quiet, activity=question.activity, body="Initech")
    mailbox.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        best_answer_choose(post=question, comment=quiet_answer, actor=asker)
        best_answer_choose(post=question, comment=loud_answer, actor=asker)

    [message] = mailbox.messages
    assert message["To"] == answerer.email
    assert "Priya Shah’s answer" in message["Subject"]
    assert reasons(quiet) == [("best_answer", f"post:{question.pk}")]


def test_three_likes_of_a_comment_aggregate_into_one_notification_for_its_author_only(
    django_capture_on_commit_callbacks,
):
    author, commenter, follower = UserFactory(), UserFactory(), UserFactory()
    likers = [UserFactory(first_name=n, last_name="Lee") for n in ("Ann", "Bo", "Cy")]
    with django_capture_on_commit_callbacks(execute=True):
        post = post_create(author=author, stream=author.stream_key, body="Plans?")
        follow_create(user=follower, stream=f"post:{post.pk}")
        comment = comment_create(author=commenter, activity=post.activity, body="Friday works")
        Notification.objects.update(unread=False, open_key=None)
        for liker in likers:
            comment_like_create(user=liker, comment=comment)
        comment_like_create(user=likers[0], comment=comment)
        comment_like_create(user=commenter, comment=comment)

    [notification] = [n for n in notifications_of(commenter) if n.unread]
    assert (notification.reason, notification.target, notification.actor_count) == (
        "liked",
        f"comment:{comment.pk}",
        3,
    )
    assert notification_title(notification) == "Cy Lee and 2 others liked your comment “Friday works”"
    assert all(n.reason != "liked" for u in [author, follower, *likers] for n in notifications_of(u))
    assert not InboxEntry.objects.filter(activity__verb="Like").exists()


def test_a_single_comment_like_names_the_liker_and_the_comment(django_capture_on_commit_callbacks):
    author, commenter = UserFactory(), UserFactory()
    liker = UserFactory(first_name="Ann", last_name="Lee")
    with django_capture_on_commit_callbacks(execute=True):
        post = post_create(author=author, stream=author.stream_key, body="Plans?")
        comment = comment_create(author=commenter, activity=post.activity, body="Friday works")
        comment_like_create(user=liker, comment=comment)

    [notification] = notifications_of(commenter)
    assert notification_title(notification) == "Ann Lee liked your comment “Friday works”"


@pytest.mark.parametrize("silenced_by", ["reason_off", "thread_muted", "record_muted", "lost_access"])
def test_a_comment_like_is_not_told_to_an_author_who_silenced_it_or_may_not_see_it(
    silenced_by, django_capture_on_commit_callbacks
):
    owner, commenter = UserFactory(), UserFactory()
    group = group_create(actor=owner, name="Board", is_private=True)
    membership_add(group=group, user=commenter, actor=owner)
    with django_capture_on_commit_callbacks(execute=True):
        post = post_create(author=owner, stream=group.stream_key, body="Numbers")
        comment = comment_create(author=commenter, activity=post.activity, body="Looks right")
    if silenced_by == "reason_off":
        channel_set(user=commenter, reason="liked", channel="off")
    elif silenced_by == "thread_muted":
        follow_create(user=commenter, stream=f"post:{post.pk}", muted=True)
    elif silenced_by == "record_muted":
        notification_mute(user=commenter, stream=f"post:{post.pk}")
    else:
        membership_remove(group=group, user=commenter, actor=owner)

    with django_capture_on_commit_callbacks(execute=True):
        comment_like_create(user=owner, comment=comment)

    assert [n.reason for n in notifications_of(commenter) if n.reason != "group_added"] == []


def test_a_join_request_tells_the_groups_admins_and_approval_tells_the_requester(
    django_capture_on_commit_callbacks,
):
    owner, co_admin, member = UserFactory(), UserFactory(), UserFactory()
    askers = [UserFactory(first_name=n, last_name="Kim") for n in ("Ann", "Bo")]
    group = group_create(actor=owner, name="Board", is_private=True)
    membership_add(group=group, user=member, actor=owner)
    membership_add(group=group, user=co_admin, actor=owner)
    Membership.objects.filter(group=group, user=co_admin).update(role=Membership.Role.ADMIN)
    Notification.objects.update(unread=False, open_key=None)

    with django_capture_on_commit_callbacks(execute=True):
        first = join_request_create(group=group, user=askers[0])
        assert join_request_create(group=group, user=askers[0]) == first
        join_request_create(group=group, user=askers[1])
        join_request_decide(join_request=first, actor=co_admin, approve=True)

    for admin in (owner, co_admin):
        [asked] = [n for n in notifications_of(admin) if n.unread]
        assert (asked.reason, asked.target, asked.actor_count) == ("join_requested", group.stream_key, 2)
        assert notification_title(asked) == "Bo Kim and 1 other asked to join Board"
    assert [n.unread for n in notifications_of(member)] == [False]
    assert reasons(askers[0]) == [("group_added", group.stream_key)]
    assert reasons(askers[1]) == []
    # A join request is no one's news: in no inbox, and not in the company feed of those who may see it.
    assert not InboxEntry.objects.filter(activity__verb="Join").exists()
    assert "Join" not in {a.verb for a in company_feed(viewer=owner).items}


def test_join_requests_follow_the_admins_preferences(mailbox, django_capture_on_commit_callbacks):
    owner, quiet_admin, asker = UserFactory(), UserFactory(), UserFactory(first_name="Ann", last_name="Kim")
    group = group_create(actor=owner, name="Board", is_private=True)
    membership_add(group=group, user=quiet_admin, actor=owner)
    Membership.objects.filter(group=group, user=quiet_admin).update(role=Membership.Role.ADMIN)
    channel_set(user=quiet_admin, reason="join_requested", channel="off")
    mailbox.messages.clear()

    with django_capture_on_commit_callbacks(execute=True):
        join_request_create(group=group, user=asker)

    [message] = mailbox.messages
    assert message["To"] == owner.email
    assert "Ann Kim asked to join Board" in message["Subject"]
    assert "join_requested" not in {n.reason for n in notifications_of(quiet_admin)}
