"""Request bodies and the JSON of posts and comments (plain functions; no logic beyond shaping)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.activity.api.fields import JsonBooleanField
from apps.activity.api.serializers import ROLLUP_HELP, FollowSettingsInput, verbs_field
from apps.activity.presenters import person_to_dict

from ..models import Comment, Post

BODY_MAX = 20000


class PollInput(serializers.Serializer):
    choices = serializers.ListField(
        child=serializers.CharField(max_length=200), min_length=2, max_length=10, help_text="2 to 10 choices."
    )
    closes_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When voting ends (ISO 8601); open until closed if omitted.",
    )


class PostInput(serializers.Serializer):
    body = serializers.CharField(max_length=BODY_MAX, help_text="Markdown; @username mentions, #topics.")
    stream = serializers.CharField(
        max_length=100, help_text='Where to post: "deal:42", "user:3", "topic:pricing".'
    )
    is_question = JsonBooleanField(
        required=False, default=False, help_text="A question: its asker can mark one comment the best answer."
    )
    poll = PollInput(required=False, help_text="Attach a poll.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("is_question") and attrs.get("poll"):
            raise serializers.ValidationError({"poll": "A question cannot also be a poll."})
        return attrs


class VoteInput(serializers.Serializer):
    choice = serializers.IntegerField(min_value=0, max_value=9, help_text="The choice's position, from 0.")


class BestAnswerInput(serializers.Serializer):
    comment = serializers.IntegerField(min_value=1, help_text="The answering comment's id.")


class JoinDecisionInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])


class AutoFollowInput(serializers.Serializer):
    create = JsonBooleanField(required=False, help_text="Follow records I create.")
    own = JsonBooleanField(required=False, help_text="Follow records I own (created or assigned).")
    comment = JsonBooleanField(required=False, help_text="Follow what I comment on.")
    mention = JsonBooleanField(required=False, help_text="Follow threads I am mentioned in.")


class BodyInput(serializers.Serializer):
    body = serializers.CharField(max_length=BODY_MAX, help_text="Markdown; @username mentions, #topics.")


class FollowInput(FollowSettingsInput):
    stream = serializers.CharField(max_length=100)
    muted = JsonBooleanField(
        required=False, default=False, help_text="Keep following but receive nothing (mute a thread)."
    )


class FollowUpdateInput(serializers.Serializer):
    """Only the settings given change."""

    stream = serializers.CharField(max_length=100)
    verbs = verbs_field()
    muted = JsonBooleanField(required=False, help_text="Keep following but receive nothing.")
    include_related = JsonBooleanField(required=False, help_text=ROLLUP_HELP)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if set(attrs) == {"stream"}:
            raise serializers.ValidationError(
                {"non_field_errors": "Give at least one of verbs, muted, include_related."}
            )
        return attrs


class StreamInput(serializers.Serializer):
    stream = serializers.CharField(max_length=100)


class SearchQuery(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=50)


class PeopleSearchQuery(SearchQuery):
    stream = serializers.CharField(
        required=False,
        max_length=100,
        help_text="The feed being written on (deal:42): only people who may see it are suggested.",
    )


class CommentsQuery(serializers.Serializer):
    after = serializers.IntegerField(required=False, min_value=1, help_text="Cursor: comments after this id.")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100)


def post_to_dict(post: Post, *, poll: dict[str, Any] | None = None) -> dict[str, Any]:
    deleted = post.deleted_at is not None
    data = {
        "id": post.pk,
        "type": "post",
        "stream": post.stream,
        "author": person_to_dict(post.author),
        "body": None if deleted else post.body,
        "body_html": None if deleted else post.body_html,
        "activity": post.activity_id,
        "created_at": post.created_at.isoformat(),
        "edited_at": post.edited_at.isoformat() if post.edited_at else None,
        "deleted": deleted,
        "is_question": post.is_question,
        "best_answer": post.best_answer_id,
    }
    if poll is not None:
        data["poll"] = poll
    return data


def comment_to_dict(comment: Comment, *, liked: bool | None = None) -> dict[str, Any]:
    deleted = comment.deleted_at is not None
    data: dict[str, Any] = {
        "id": comment.pk,
        "type": "comment",
        "activity": comment.activity_id,
        "author": None if deleted else person_to_dict(comment.author),
        "body": None if deleted else comment.body,
        "body_html": None if deleted else comment.body_html,
        "like_count": comment.like_count,
        "created_at": comment.created_at.isoformat(),
        "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
        "deleted": deleted,
    }
    if liked is not None:
        data["liked"] = liked
    return data


class PostOutput(serializers.Serializer):
    """Schema only: the JSON produced by `post_to_dict`."""

    id = serializers.IntegerField()
    type = serializers.CharField()
    stream = serializers.CharField()
    author = serializers.DictField()
    body = serializers.CharField(allow_null=True)
    body_html = serializers.CharField(allow_null=True)
    activity = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    deleted = serializers.BooleanField()
    is_question = serializers.BooleanField()
    best_answer = serializers.IntegerField(allow_null=True, help_text="The best answer's comment id.")
    poll = serializers.DictField(required=False)


class PollChoiceOutput(serializers.Serializer):
    position = serializers.IntegerField()
    label = serializers.CharField()
    votes = serializers.IntegerField()


class PollOutput(serializers.Serializer):
    """Schema only: a poll's state, as in feed items' `poll`."""

    choices = PollChoiceOutput(many=True)
    votes = serializers.IntegerField()
    closes_at = serializers.DateTimeField(allow_null=True)
    closed = serializers.BooleanField()
    my_vote = serializers.IntegerField(allow_null=True)


class CommentOutput(serializers.Serializer):
    """Schema only: the JSON produced by `comment_to_dict`."""

    id = serializers.IntegerField()
    type = serializers.CharField()
    activity = serializers.IntegerField()
    author = serializers.DictField(allow_null=True)
    body = serializers.CharField(allow_null=True)
    body_html = serializers.CharField(allow_null=True)
    like_count = serializers.IntegerField()
    liked = serializers.BooleanField(required=False)
    deleted = serializers.BooleanField()


class CommentPageOutput(serializers.Serializer):
    """Schema only: a page of comments, oldest first."""

    orderedItems = CommentOutput(many=True)  # noqa: N815
    totalItems = serializers.IntegerField()  # noqa: N815
    next = serializers.URLField(allow_null=True)
    nextCursor = serializers.IntegerField(allow_null=True)  # noqa: N815


class PeopleOutput(serializers.Serializer):
    """Schema only: a list of people."""

    orderedItems = serializers.ListField(child=serializers.DictField())  # noqa: N815
    totalItems = serializers.IntegerField()  # noqa: N815
