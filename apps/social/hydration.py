"""Adds counts, the viewer's likes, bookmarks and mutes, and current post/comment bodies to a feed page."""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Concat

from apps.accounts.models import User
from apps.activity.models import Activity, Follow
from apps.activity.verbs import Verb

from .models import ActivityCounts, Bookmark, Comment, Like, Post
from .selectors import poll_state


def _counter(field: str) -> Coalesce:
    value = ActivityCounts.objects.filter(activity=OuterRef("pk")).values(field)[:1]
    return Coalesce(Subquery(value, output_field=IntegerField()), Value(0))


def hydrate_page(viewer: User, activities: list[Activity], items: list[dict[str, Any]]) -> None:
    """Fill in social fields for a whole page: one query, plus one per kind of written item on it,
    plus one for polls when posts are on it (and one for the viewer's votes when polls are).

    Edits and deletions change the Post/Comment row, never the append-only activity, so the
    body shown is the row's current one (a tombstone after deletion).
    """
    if not activities:
        return
    # `muted`: the viewer muted the item's thread (the stream of its object, e.g. `post:7`).
    object_stream = Concat(
        OuterRef("object_type"), Value(":"), OuterRef("object_id"), output_field=CharField()
    )
    rows = {
        pk: (comments, likes, liked, bookmarked, muted)
        for pk, comments, likes, liked, bookmarked, muted in Activity.objects.filter(
            pk__in=[a.pk for a in activities]
        )
        .annotate(
            n_comments=_counter("comment_count"),
            n_likes=_counter("like_count"),
            liked=Exists(Like.objects.filter(activity=OuterRef("pk"), user=viewer)),
            bookmarked=Exists(Bookmark.objects.filter(activity=OuterRef("pk"), user=viewer)),
            muted=Exists(Follow.objects.filter(user=viewer, muted=True, stream=object_stream)),
        )
        .values_list("pk", "n_comments", "n_likes", "liked", "bookmarked", "muted")
    }
    bodies = _current_bodies(activities)
    _add_polls(viewer, bodies)
    for activity, item in zip(activities, items, strict=True):
        comments, likes, liked, bookmarked, muted = rows.get(activity.pk, (0, 0, False, False, False))
        item.update(comment_count=comments, like_count=likes, liked=liked, bookmarked=bookmarked, muted=muted)
        written = bodies.get((activity.object_type, activity.object_id))
        if written is None:
            continue
        # A Create is the post itself; a share (Announce) keeps its own note as `content`
        # and shows the original's current body on its object.
        if activity.verb == Verb.CREATE:
            item.update(written)
        elif item["object"] is not None:
            item["object"].update(written)


def _current_bodies(activities: list[Activity]) -> dict[tuple[str, str], dict[str, Any]]:
    wanted: dict[str, list[int]] = {}
    for a in activities:
        if a.object_type in ("post", "comment") and a.object_id.isdigit():
            wanted.setdefault(a.object_type, []).append(int(a.object_id))
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for object_type, model in (("post", Post), ("comment", Comment)):
        if object_type not in wanted:
            continue
        extra = ("is_question", "best_answer_id") if model is Post else ()
        for pk, html, edited_at, deleted_at, *more in model.objects.filter(
            pk__in=wanted[object_type]
        ).values_list("pk", "body_html", "edited_at", "deleted_at", *extra):
            out[(object_type, str(pk))] = {
                "content": None if deleted_at else html,
                "edited": edited_at is not None,
                "deleted": deleted_at is not None,
            }
            if more and more[0]:
                out[(object_type, str(pk))]["question"] = {"best_answer": more[1]}
    return out


def _add_polls(viewer: User, bodies: dict[tuple[str, str], dict[str, Any]]) -> None:
    """Put each poll's tallies and the viewer's vote on its post's body (one query, two with polls)."""
    post_ids = [int(pk) for kind, pk in bodies if kind == "post"]
    if not post_ids:
        return
    for pk, state in poll_state(post_ids=post_ids, viewer=viewer).items():
        bodies[("post", str(pk))]["poll"] = state
