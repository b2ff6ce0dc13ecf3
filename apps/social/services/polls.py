"""Polls: 2-10 choices on a post, one current vote per person (changeable until closing), live tallies."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.accounts.models import User
from apps.activity.services import ObjectRef, activity_publish
from apps.activity.verbs import Source, Verb
from apps.notifications.reasons import Reason

from ..models import Poll, PollChoice, PollVote, Post
from ..rendering import excerpt
from .live import enqueue_live_push
from .notify import tell

POLL_MIN_CHOICES = 2
POLL_MAX_CHOICES = 10


def poll_attach(*, post: Post, choices: list[str], closes_at: datetime | None = None) -> Poll:
    """Attach a poll to a new post (inside its transaction). Raises ValidationError for fewer than
    2 or more than 10 choices, blank or repeated choices, or a closing time not in the future."""
    labels = [c.strip() for c in choices]
    if not POLL_MIN_CHOICES <= len(labels) <= POLL_MAX_CHOICES:
        raise ValidationError(
            {"poll.choices": f"A poll has {POLL_MIN_CHOICES} to {POLL_MAX_CHOICES} choices."}
        )
    if any(not label for label in labels) or len({label.lower() for label in labels}) != len(labels):
        raise ValidationError({"poll.choices": "Choices must be non-blank and different."})
    if closes_at is not None and closes_at <= timezone.now():
        raise ValidationError({"poll.closes_at": "The closing time must be in the future."})
    poll = Poll.objects.create(post=post, closes_at=closes_at)
    PollChoice.objects.bulk_create(
        [PollChoice(poll=poll, position=i, label=label) for i, label in enumerate(labels)]
    )
    return poll


def _is_closed(poll: Poll, now: datetime) -> bool:
    return poll.closed_at is not None or (poll.closes_at is not None and poll.closes_at <= now)


def poll_vote(*, post: Post, user: User, choice: int) -> PollVote:
    """Vote for choice number `choice` (0-based) in the post's poll, or move one's vote to it.

    The caller has checked the voter may see the post. One vote per person: voting again for
    another choice moves the vote; for the same choice changes nothing. Tallies change with F()
    under a lock on the poll row, and connections watching the post get the new tallies after
    commit. Raises ValidationError when the post has no poll, the poll is closed, or the choice
    does not exist.
    """
    with transaction.atomic():
        poll = Poll.objects.select_for_update(no_key=True).filter(pk=post.pk).first()
        if poll is None:
            raise ValidationError({"choice": "This post has no poll."})
        if _is_closed(poll, timezone.now()):
            raise ValidationError({"choice": "This poll is closed."})
        picked = PollChoice.objects.filter(poll=poll, position=choice).first()
        if picked is None:
            raise ValidationError({"choice": f"No choice {choice} in this poll."})
        vote = PollVote.objects.filter(poll=poll, user=user).first()
        if vote is not None and vote.choice_id == picked.pk:
            return vote
        if vote is None:
            vote = PollVote.objects.create(poll=poll, user=user, choice=picked)
            Poll.objects.filter(pk=poll.pk).update(vote_count=F("vote_count") + 1)
        else:
            PollChoice.objects.filter(pk=vote.choice_id).update(vote_count=F("vote_count") - 1)
            vote.choice = picked
            vote.save(update_fields=["choice", "updated_at"])
        PollChoice.objects.filter(pk=picked.pk).update(vote_count=F("vote_count") + 1)
        transaction.on_commit(partial(_enqueue_poll_push, post.pk))
    return vote


def poll_close(*, post: Post, actor: User | None) -> bool:
    """Close a poll now (its author or staff through the API; the beat task with `actor=None`).

    Emits `poll.closed` about the post and tells its voters and its author (`poll_closed`),
    except whoever closed it. Idempotent: returns False when it was already closed.
    """
    with transaction.atomic():
        closed = Poll.objects.filter(pk=post.pk, closed_at__isnull=True).update(closed_at=timezone.now())
        if not closed:
            return False
        name = excerpt(post.body)
        who = actor.display_name if actor else "feedhub"
        activity = activity_publish(
            actor=actor,
            verb=Verb.POLL_CLOSED,
            obj=ObjectRef(type="post", id=str(post.pk), name=name),
            summary=f"The poll “{name}” closed" if actor is None else f"{who} closed the poll “{name}”",
            source=Source.SYSTEM if actor is None else Source.WEB,
        )
        voters = PollVote.objects.filter(poll_id=post.pk).values_list("user_id", flat=True)
        tell(reason=Reason.POLL_CLOSED, user_ids=[*voters, post.author_id], activity=activity)
        transaction.on_commit(partial(_enqueue_poll_push, post.pk))
    return True


def polls_close_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Close the polls whose closing time has passed (the beat task); returns how many it closed."""
    now = now or timezone.now()
    due = list(
        Post.objects.filter(poll__closed_at__isnull=True, poll__closes_at__lte=now).order_by(
            "poll__closes_at"
        )[:limit]
    )
    return sum(poll_close(post=post, actor=None) for post in due)


def _enqueue_poll_push(post_id: int) -> None:
    from ..tasks import push_poll_task

    enqueue_live_push(push_poll_task, post_id)


def poll_push(*, post_id: int) -> None:
    """Push the poll's current tallies to connections watching the post or the stream it is on."""
    from apps.realtime.protocol import PollEnvelope
    from apps.realtime.push import push_to_streams

    from ..selectors import poll_state

    post = Post.objects.filter(pk=post_id).first()
    state = poll_state(post_ids=[post_id]).get(post_id) if post else None
    if post is None or state is None:
        return
    envelope = PollEnvelope(
        stream=post.stream_key,
        poll=post_id,
        tallies=[c["votes"] for c in state["choices"]],
        votes=state["votes"],
        closed=state["closed"],
    )
    push_to_streams([post.stream_key, post.stream], envelope)
