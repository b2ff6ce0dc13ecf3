"""Social reads, always through the viewer's visibility."""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.http import Http404

from apps.accounts.models import User
from apps.activity import registry
from apps.activity.models import Activity
from apps.activity.selectors import FeedFilter, FeedPage, access_activity, clamp_limit, page_of
from apps.activity.verbs import Verb

from .models import Bookmark, Comment, CommentLike, Group, Like, Membership, Post, Topic


def access_post(*, viewer: User, post_id: int) -> Post:
    """A post whose stream the viewer may see, or 404."""
    post = Post.objects.select_related("author").filter(pk=post_id).first()
    if post is None or str(post.pk) not in registry.kind_for("post").visible_object_ids(
        viewer, [str(post.pk)]
    ):
        raise Http404
    return post


def access_comment(*, viewer: User, comment_id: int) -> Comment:
    """A comment on an activity the viewer may see, or 404."""
    comment = Comment.objects.select_related("author").filter(pk=comment_id).first()
    if comment is None:
        raise Http404
    access_activity(viewer=viewer, activity_id=comment.activity_id)
    return comment


def comment_list(
    *, activity: Activity, viewer: User, after: int | None = None, limit: int | None = None
) -> tuple[list[Comment], set[int]]:
    """Comments on an activity, oldest first (a conversation reads downwards), and which the viewer liked.

    Deleted comments stay as tombstones so replies keep their place.
    """
    limit = clamp_limit(limit)
    qs = Comment.objects.filter(activity=activity).select_related("author").order_by("pk")
    if after is not None:
        qs = qs.filter(pk__gt=after)
    comments = list(qs[: limit + 1])
    liked = set(
        CommentLike.objects.filter(user=viewer, comment__in=comments[:limit]).values_list(
            "comment_id", flat=True
        )
    )
    return comments, liked


def likers_list(*, activity: Activity, limit: int = 50) -> list[User]:
    """Who liked an activity, most recent first."""
    return [
        like.user
        for like in Like.objects.filter(activity=activity).select_related("user").order_by("-pk")[:limit]
    ]


def comment_likers_list(*, comment: Comment, limit: int = 50) -> list[User]:
    """Who liked a comment, most recent first."""
    return [
        like.user
        for like in CommentLike.objects.filter(comment=comment).select_related("user").order_by("-pk")[:limit]
    ]


def people_search(*, q: str, limit: int = 10) -> list[User]:
    """Active people whose username, first or last name starts with `q` (for @mention autocomplete)."""
    qs = User.objects.filter(is_active=True)
    if q:
        qs = qs.filter(
            Q(username__istartswith=q) | Q(first_name__istartswith=q) | Q(last_name__istartswith=q)
        )
    return list(qs.order_by("username")[:limit])


def access_topic(*, slug: str) -> Topic:
    """A topic by slug (case-insensitive), or 404."""
    topic = Topic.objects.filter(slug=slug.lower()).first()
    if topic is None:
        raise Http404
    return topic


def topic_search(*, q: str, limit: int = 10) -> list[Topic]:
    """Topics whose slug starts with `q`, for #topic autocomplete."""
    return list(Topic.objects.filter(slug__istartswith=q.lower()).order_by("slug")[:limit])


def bookmarks_feed(
    *, viewer: User, before: int | None = None, limit: int | None = None, filters: FeedFilter | None = None
) -> FeedPage:
    """What the viewer bookmarked, newest activity first; one range scan on their bookmarks."""
    limit = clamp_limit(limit)
    qs = Bookmark.objects.filter(user=viewer)
    if before is not None:
        qs = qs.filter(activity_id__lt=before)
    if filters is not None:
        qs = filters.apply(qs, "activity__")
    rows = list(qs.select_related("activity__actor").order_by("-activity_id")[: limit + 1])
    return page_of([r.activity for r in rows], limit, viewer)


def _matching_keys(model: type[Post] | type[Comment], q: str) -> QuerySet:
    """Ids (as activity object ids) of live posts or comments whose body matches `q`."""
    qs = model.objects.filter(deleted_at__isnull=True)
    if connection.vendor == "postgresql":
        vector = SearchVector("body", config="english")
        qs = qs.annotate(document=vector).filter(
            document=SearchQuery(q, config="english", search_type="websearch")
        )
    else:
        # The embedded SQLite default has no full-text search; a substring match stands in.
        qs = qs.filter(body__icontains=q)
    return qs.annotate(key=Cast("pk", CharField())).values("key")


def search_feed(
    *,
    viewer: User,
    q: str,
    before: int | None = None,
    limit: int | None = None,
    filters: FeedFilter | None = None,
) -> FeedPage:
    """Posts and comments matching `q` that the viewer may see, newest first.

    PostgreSQL full-text search (English stemming, web-search syntax: quotes, `or`, `-word`);
    the embedded SQLite default falls back to a case-insensitive substring match.
    """
    limit = clamp_limit(limit)
    qs = Activity.objects.filter(
        Q(object_type="post", object_id__in=_matching_keys(Post, q))
        | Q(object_type="comment", object_id__in=_matching_keys(Comment, q)),
        verb=Verb.CREATE,
    )
    if before is not None:
        qs = qs.filter(pk__lt=before)
    if filters is not None:
        qs = filters.apply(qs)
    return page_of(list(qs.select_related("actor").order_by("-pk")[: limit + 1]), limit, viewer)


def group_list(*, viewer: User) -> list[Group]:
    """Groups the viewer may see (public ones, and private ones they belong to), by name."""
    member_of = Membership.objects.filter(user_id=viewer.pk).values("group_id")
    return list(Group.objects.filter(Q(is_private=False) | Q(pk__in=member_of)).order_by("name", "pk")[:200])


def access_group(*, viewer: User, group_id: int) -> Group:
    """A group the viewer may see, or 404 (a private group's existence is not confirmed)."""
    group = Group.objects.filter(pk=group_id).first()
    if group is None or str(group.pk) not in registry.kind_for("group").visible_object_ids(
        viewer, [str(group.pk)]
    ):
        raise Http404
    return group


def group_members(*, group: Group, limit: int = 200) -> list[Membership]:
    return list(Membership.objects.filter(group=group).select_related("user").order_by("pk")[:limit])
