"""Questions: a post whose asker (or staff) marks one answering comment as the best answer."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from apps.accounts.models import User
from apps.activity.services import ObjectRef, activity_publish
from apps.activity.verbs import Verb
from apps.notifications.reasons import Reason

from ..models import Comment, Post
from ..rendering import excerpt
from .notify import tell


def best_answer_choose(*, post: Post, comment: Comment, actor: User) -> Post:
    """Mark `comment` as the best answer to the question `post` (or move the mark to it).

    Only the asker or staff may (PermissionDenied). Emits `question.best_answer` (object: the
    comment, target: the post, so it is visible where the post is) and tells the answerer
    (`best_answer`). Choosing the current best answer again changes nothing. Raises
    ValidationError if the post is not a question, or the comment is deleted or not on it.
    """
    if actor.pk != post.author_id and not actor.is_staff:
        raise PermissionDenied
    if not post.is_question:
        raise ValidationError({"comment": "This post is not a question."})
    if post.activity_id is None or comment.activity_id != post.activity_id or comment.deleted_at:
        raise ValidationError({"comment": "Not an answer to this question."})
    with transaction.atomic():
        current = Post.objects.select_for_update(no_key=True).get(pk=post.pk)
        if current.best_answer_id == comment.pk:
            return current
        current.best_answer = comment
        current.save(update_fields=["best_answer"])
        question = excerpt(post.body)
        activity = activity_publish(
            actor=actor,
            verb=Verb.BEST_ANSWER,
            obj=ObjectRef(type="comment", id=str(comment.pk), name=excerpt(comment.body)),
            target=ObjectRef(type="post", id=str(post.pk), name=question),
            summary=f"{actor.display_name} chose {comment.author.display_name}’s answer to “{question}”",
            payload={"question": post.pk, "answer": comment.pk},
        )
        tell(
            reason=Reason.BEST_ANSWER, user_ids=[comment.author_id], activity=activity, target=post.stream_key
        )
    return current


def best_answer_clear(*, post: Post, actor: User) -> Post:
    """Remove the best-answer mark (asker or staff); no activity, nobody is told."""
    if actor.pk != post.author_id and not actor.is_staff:
        raise PermissionDenied
    Post.objects.filter(pk=post.pk).update(best_answer=None)
    post.best_answer = None
    return post
