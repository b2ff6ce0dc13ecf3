"""Social reads, always through the viewer's visibility."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, CharField, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone

from apps.accounts.models import User
from apps.activity import registry
from apps.activity.models import Activity
from apps.activity.selectors import (
    LATEST_ACTIVITY,
    NEWEST,
    FeedFilter,
    FeedPage,
    access_activity,
    clamp_limit,
    latest_activity_page,
    page_of,
)
from apps.activity.verbs import Verb

from .models import (
    AutoFollowSettings,
    Bookmark,
    Comment,
    CommentLike,
    Group,
    GroupJoinRequest,
    Like,
    Membership,
    PollChoice,
    PollVote,
    Post,
    Topic,
)


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


def people_search(*, q: str, limit: int = 10, stream: str | None = None) -> list[User]:
    """Active people whose username, first or last name starts with `q` (for @mention autocomplete).

    With `stream` (the feed being written on), only people who may see it: mentioning someone
    who cannot see a private record would tell them nothing, or leak its name.
    """
    qs = User.objects.filter(is_active=True)
    if q:
        qs = qs.filter(
            Q(username__istartswith=q) | Q(first_name__istartswith=q) | Q(last_name__istartswith=q)
        )
    people = list(qs.order_by("username")[: limit * 5 if stream else limit])
    if stream:
        prefix, object_id = registry.split_stream(stream)
        kind = registry.kind_for(prefix)
        allowed = kind.users_who_can_see(object_id, [p.pk for p in people]) if kind else set()
        people = [p for p in people if p.pk in allowed]
    return people[:limit]


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
    *,
    viewer: User,
    before: int | None = None,
    limit: int | None = None,
    filters: FeedFilter | None = None,
    sort: str = NEWEST,
) -> FeedPage:
    """What the viewer bookmarked, newest activity first (one range scan on their bookmarks) or
    by latest activity."""
    limit = clamp_limit(limit)
    qs = Bookmark.objects.filter(user=viewer)
    if filters is not None:
        qs = filters.apply(qs, "activity__")
    if sort == LATEST_ACTIVITY:
        return latest_activity_page([qs], limit=limit, viewer=viewer, before=before)
    if before is not None:
        qs = qs.filter(activity_id__lt=before)
    rows = list(qs.select_related("activity__actor").order_by("-activity_id")[: limit + 1])
    return page_of([r.activity for r in rows], limit, viewer)


def _matching(model: type[Post] | type[Comment], q: str) -> QuerySet:
    """Live posts or comments whose body matches `q`, with `rank` (an integer, so cursors compare exactly).

    On PostgreSQL the vector is the expression of the GIN index on `body`; the embedded SQLite
    default has no full-text search, so a substring match stands in and every rank is 0.
    """
    qs = model.objects.filter(deleted_at__isnull=True)
    if connection.vendor == "postgresql":
        vector = SearchVector("body", config="english")
        query = SearchQuery(q, config="english", search_type="websearch")
        return (
            qs.annotate(document=vector)
            .filter(document=query)
            .annotate(rank=Cast(SearchRank(vector, query) * RANK_SCALE, IntegerField()))
        )
    return qs.filter(body__icontains=q).annotate(rank=Value(0, output_field=IntegerField()))


RANK_SCALE = 1_000_000
# Counting visible matches means checking each one's visibility; beyond this the count is a floor.
SEARCH_COUNT_LIMIT = 1000


@dataclass(frozen=True)
class SearchPage:
    page: FeedPage
    # With `sort="relevance"`: pass as `rank_before` (with `before=page.next_cursor`) for the next page.
    next_rank: int | None
    # Matches the viewer may see (at most SEARCH_COUNT_LIMIT; `total_exact` is False beyond it).
    total: int
    total_exact: bool


def _ranked_matches(q: str) -> QuerySet:
    def rank_of(model: type[Post] | type[Comment]) -> Subquery:
        match = _matching(model, q).filter(pk=Cast(OuterRef("object_id"), IntegerField()))
        return Subquery(match.values("rank")[:1], output_field=IntegerField())

    return Activity.objects.filter(
        Q(object_type="post", object_id__in=_matching_keys(Post, q))
        | Q(object_type="comment", object_id__in=_matching_keys(Comment, q)),
        verb=Verb.CREATE,
    ).annotate(
        rank=Case(
            When(object_type="post", then=rank_of(Post)),
            default=rank_of(Comment),
            output_field=IntegerField(),
        )
    )


def _matching_keys(model: type[Post] | type[Comment], q: str) -> QuerySet:
    return _matching(model, q).annotate(key=Cast("pk", CharField())).values("key")


def search_feed(
    *,
    viewer: User,
    q: str,
    before: int | None = None,
    limit: int | None = None,
    filters: FeedFilter | None = None,
    sort: str = "newest",
    rank_before: int | None = None,
) -> SearchPage:
    """Posts and comments matching `q` that the viewer may see: newest first, or by relevance.

    PostgreSQL full-text search (English stemming, web-search syntax: quotes, `or`, `-word`)
    served by GIN indexes on the bodies; the embedded SQLite default falls back to a
    case-insensitive substring match (relevance then equals recency). Relevance pages are keyset
    on (rank, id): pass the previous page's `next_rank` and `next_cursor`. The count covers only
    what the viewer may see.
    """
    limit = clamp_limit(limit)
    qs = _ranked_matches(q)
    if filters is not None:
        qs = filters.apply(qs)
    everything = qs
    if sort == "relevance":
        if before is not None and rank_before is not None:
            qs = qs.filter(Q(rank__lt=rank_before) | Q(rank=rank_before, pk__lt=before))
        rows = list(qs.select_related("actor").order_by("-rank", "-pk")[: limit + 1])
    else:
        if before is not None:
            qs = qs.filter(pk__lt=before)
        rows = list(qs.select_related("actor").order_by("-pk")[: limit + 1])
    page = page_of(rows, limit, viewer)
    next_rank = None
    if sort == "relevance" and page.next_cursor is not None:
        next_rank = next(r.rank for r in rows if r.pk == page.next_cursor)
    candidates = list(everything.order_by("-pk")[: SEARCH_COUNT_LIMIT + 1])
    exact = len(candidates) <= SEARCH_COUNT_LIMIT
    total = len(registry.visible_activities(viewer, candidates[:SEARCH_COUNT_LIMIT]))
    return SearchPage(page=page, next_rank=next_rank, total=total, total_exact=exact)


def group_list(*, viewer: User) -> list[tuple[Group, bool]]:
    """Every group, by name, with whether the viewer is a member. Private groups are listed (name
    and description) so people can ask to join; their content stays members-only."""
    member_of = set(Membership.objects.filter(user_id=viewer.pk).values_list("group_id", flat=True))
    return [(g, g.pk in member_of) for g in Group.objects.order_by("name", "pk")[:200]]


def access_group(*, viewer: User, group_id: int) -> Group:
    """A group the viewer may see, or 404 (a private group's existence is not confirmed)."""
    group = Group.objects.filter(pk=group_id).first()
    if group is None or not group_visible(viewer=viewer, group=group):
        raise Http404
    return group


def group_visible(*, viewer: User, group: Group) -> bool:
    """May the viewer see the group's members and content (public, or a member, or staff)?"""
    return str(group.pk) in registry.kind_for("group").visible_object_ids(viewer, [str(group.pk)])


def group_members(*, group: Group, limit: int = 200) -> list[Membership]:
    return list(Membership.objects.filter(group=group).select_related("user").order_by("pk")[:limit])


def group_member_count(*, group: Group) -> int:
    """How many members a group has (shown to outsiders of a private group too)."""
    return Membership.objects.filter(group=group).count()


def join_request_pending_get(*, group: Group, user: User) -> GroupJoinRequest | None:
    """The user's pending request to join the group, or None."""
    return GroupJoinRequest.objects.filter(
        group=group, user_id=user.pk, status=GroupJoinRequest.Status.PENDING
    ).first()


def membership_get(*, group: Group, user: User) -> Membership | None:
    """The user's membership of a group, or None."""
    return Membership.objects.filter(group=group, user_id=user.pk).first()


def auto_follow_get(*, user: User) -> dict[str, bool]:
    """A person's auto-follow rules, all on unless turned off."""
    from .services.autofollow import RULE_FIELDS

    row = AutoFollowSettings.objects.filter(user=user).first()
    return {rule: getattr(row, name) if row else True for rule, name in RULE_FIELDS.items()}


def poll_state(*, post_ids: list[int], viewer: User | None = None) -> dict[int, dict[str, Any]]:
    """Polls on these posts (the caller has checked visibility): choices with tallies, totals,
    whether closed, and the viewer's vote (`my_vote`, a choice position) when a viewer is given.
    One query for the choices, one more for the viewer's votes when there are polls."""
    now = timezone.now()
    polls: dict[int, dict[str, Any]] = {}
    for choice in (
        PollChoice.objects.filter(poll_id__in=post_ids).select_related("poll").order_by("poll_id", "position")
    ):
        poll = choice.poll
        state = polls.setdefault(
            poll.pk,
            {
                "choices": [],
                "votes": poll.vote_count,
                "closes_at": poll.closes_at.isoformat() if poll.closes_at else None,
                "closed": poll.closed_at is not None
                or (poll.closes_at is not None and poll.closes_at <= now),
            },
        )
        state["choices"].append(
            {"position": choice.position, "label": choice.label, "votes": choice.vote_count}
        )
    if viewer is not None and polls:
        mine = dict(
            PollVote.objects.filter(poll_id__in=list(polls), user=viewer).values_list(
                "poll_id", "choice__position"
            )
        )
        for pk, state in polls.items():
            state["my_vote"] = mine.get(pk)
    return polls


def join_requests_pending(*, group: Group, limit: int = 200) -> list[GroupJoinRequest]:
    """Pending requests to join a group, oldest first (for its admins)."""
    return list(
        GroupJoinRequest.objects.filter(group=group, status=GroupJoinRequest.Status.PENDING)
        .select_related("user")
        .order_by("pk")[:limit]
    )


def group_get_listed(*, group_id: int) -> Group:
    """Any group by id, or 404: a private group's name and description are listed (people ask to
    join it); its members, feed and posts stay behind `access_group`."""
    group = Group.objects.filter(pk=group_id).first()
    if group is None:
        raise Http404
    return group
