"""Unanswered questions as cold spots: questions asked before the period with no reply and no best answer."""

from __future__ import annotations

from datetime import date, datetime, time

from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.accounts.models import User
from apps.activity import registry
from apps.social.models import Comment, Post

from .records import ColdSpot


def unanswered_posts(viewer: User, since: date, limit: int) -> list[ColdSpot]:
    """Questions the viewer may see, asked before `since`, that nobody has replied to yet; oldest first."""
    cutoff = timezone.make_aware(datetime.combine(since, time.min))
    replies = Comment.objects.filter(activity_id=OuterRef("activity_id"), deleted_at__isnull=True)
    candidates = list(
        Post.objects.filter(
            is_question=True, best_answer__isnull=True, deleted_at__isnull=True, created_at__lt=cutoff
        )
        .exclude(Exists(replies))
        .select_related("author")
        .order_by("created_at", "pk")[: limit * 4]
    )
    visible = registry.kind_for("post").visible_object_ids(viewer, [str(p.pk) for p in candidates])
    return [
        ColdSpot(
            subject=post.stream_key,
            type="question",
            name=(post.body[:80] or "Question"),
            url=f"/posts/{post.pk}/",
            owner=post.author.display_name,
            state="Unanswered",
            last_activity=post.created_at.date(),
            followers=0,
            reasons=("no answer",),
        )
        for post in candidates
        if str(post.pk) in visible
    ][:limit]
