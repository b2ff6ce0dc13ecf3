"""Registers posts, comments, topics and mentions with the activity registry, and the page hydrator."""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import Q

from apps.accounts.models import User
from apps.activity import registry

from .models import Group, Membership, Post, Topic

MENTION = "mention"


def _digits(object_ids: Collection[str]) -> list[int]:
    return [int(i) for i in object_ids if str(i).isdigit()]


def _visible_posts(viewer: User, object_ids: Collection[str]) -> set[str]:
    """A post is visible where its stream is: check each stream kind once for the whole page."""
    by_stream: dict[str, list[int]] = {}
    for pk, stream in Post.objects.filter(pk__in=_digits(object_ids)).values_list("pk", "stream"):
        by_stream.setdefault(stream, []).append(pk)
    wanted: dict[str, set[str]] = {}
    for stream in by_stream:
        prefix, object_id = registry.split_stream(stream)
        wanted.setdefault(prefix, set()).add(object_id)
    visible_streams: set[str] = set()
    for prefix, ids in wanted.items():
        kind = registry.kind_for(prefix)
        if kind is not None:
            visible_streams |= {f"{prefix}:{i}" for i in kind.visible_object_ids(viewer, ids)}
    return {str(pk) for stream in visible_streams for pk in by_stream[stream]}


def _users_who_can_see_post(object_id: str, user_ids: Collection[int]) -> set[int]:
    stream = Post.objects.filter(pk=int(object_id)).values_list("stream", flat=True).first()
    if stream is None:
        return set()
    prefix, stream_object_id = registry.split_stream(stream)
    kind = registry.kind_for(prefix)
    return kind.users_who_can_see(stream_object_id, user_ids) if kind else set()


def _existing_topics(viewer: User, object_ids: Collection[str]) -> set[str]:
    return set(Topic.objects.filter(slug__in=list(object_ids)).values_list("slug", flat=True))


def _topic_name(slug: str) -> str:
    return f"#{slug}"


def _mentioned_user(object_id: str) -> set[int]:
    return {int(object_id)} if object_id.isdigit() else set()


def _own_mentions_only(viewer: User, object_ids: Collection[str]) -> set[str]:
    return {str(viewer.pk)} & set(object_ids)


def _visible_groups(viewer: User, object_ids: Collection[str]) -> set[str]:
    member_of = Membership.objects.filter(user_id=viewer.pk).values("group_id")
    groups = Group.objects.filter(pk__in=_digits(object_ids)).filter(
        Q(is_private=False) | Q(pk__in=member_of)
    )
    return {str(pk) for pk in groups.values_list("pk", flat=True)}


def _users_who_can_see_group(object_id: str, user_ids: Collection[int]) -> set[int]:
    group = Group.objects.filter(pk=int(object_id)).first() if object_id.isdigit() else None
    if group is None:
        return set()
    if not group.is_private:
        return set(user_ids)
    return set(
        Membership.objects.filter(group=group, user_id__in=list(user_ids)).values_list("user_id", flat=True)
    )


def _group_name(object_id: str) -> str:
    group = Group.objects.filter(pk=int(object_id)).first() if object_id.isdigit() else None
    return group.name if group else ""


def register() -> None:
    from .hydration import hydrate_page
    from .services.autofollow import auto_followers

    registry.register_kind(
        registry.StreamKind(
            prefix="post",
            label="Post",
            users_who_can_see=_users_who_can_see_post,
            visible_object_ids=_visible_posts,
            url=lambda pk: f"/posts/{pk}/",
            notify_changes=False,
        )
    )
    # Comments are only ever an activity's object; their target (what was commented on)
    # carries the visibility check, so they need no predicate of their own.
    registry.register_kind(
        registry.StreamKind(prefix="comment", label="Comment", followable=False, notify_changes=False)
    )
    registry.register_kind(
        registry.StreamKind(
            prefix="topic",
            label="Topic",
            visible_object_ids=_existing_topics,
            url=lambda slug: f"/topics/{slug}/",
            name=_topic_name,
            notify_changes=False,
        )
    )
    registry.register_kind(
        registry.StreamKind(
            prefix="group",
            label="Group",
            users_who_can_see=_users_who_can_see_group,
            visible_object_ids=_visible_groups,
            url=lambda pk: f"/groups/{pk}/",
            name=_group_name,
            notify_changes=False,
        )
    )
    registry.register_kind(
        registry.StreamKind(
            prefix=MENTION,
            label="Mentions",
            visible_object_ids=_own_mentions_only,
            direct_recipients=_mentioned_user,
            followable=False,
            notify_changes=False,
        )
    )
    registry.register_hydrator("social", hydrate_page)
    registry.register_auto_follow_policy(auto_followers)
