"""Social writes: posts, comments, likes, bookmarks and topics. Each emits through `activity_publish`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import Truncator

from apps.accounts.models import User
from apps.activity import registry
from apps.activity.models import Activity
from apps.activity.selectors import stream_visible
from apps.activity.services import ObjectRef, activity_publish, follow_delete, follow_ensure
from apps.activity.tracking import apply_changes
from apps.activity.verbs import Source, Verb

from .kinds import MENTION
from .models import ActivityCounts, Bookmark, Comment, CommentLike, Group, Like, Membership, Post, Topic
from .rendering import mentioned_usernames, render_markdown, topic_slugs

# Streams one cannot post on directly: posts and comments are threads, mentions are delivery.
NOT_POSTABLE = {"post", "comment", MENTION}


@dataclass(frozen=True)
class Rendered:
    html: str
    mentioned: list[User]
    topics: list[Topic]

    @property
    def streams(self) -> list[str]:
        return [f"{MENTION}:{u.pk}" for u in self.mentioned] + [t.stream_key for t in self.topics]


def topics_ensure(*, slugs: list[str], actor: User | None) -> list[Topic]:
    """Create the topics that do not exist yet and return all of them, in `slugs` order."""
    if not slugs:
        return []
    Topic.objects.bulk_create(
        [Topic(slug=slug, name=slug, created_by=actor) for slug in slugs], ignore_conflicts=True
    )
    by_slug = {t.slug: t for t in Topic.objects.filter(slug__in=slugs)}
    return [by_slug[s] for s in slugs if s in by_slug]


def _render(body: str, *, actor: User) -> Rendered:
    usernames = mentioned_usernames(body)
    people = (
        list(User.objects.filter(username__iregex=_any_of(usernames), is_active=True)) if usernames else []
    )
    topics = topics_ensure(slugs=topic_slugs(body), actor=actor)
    html = render_markdown(
        body,
        mention_urls={u.username.lower(): f"/people/{u.pk}/" for u in people},
        topic_urls={t.slug: f"/topics/{t.slug}/" for t in topics},
    )
    return Rendered(html=html, mentioned=people, topics=topics)


def _any_of(usernames: list[str]) -> str:
    return "^(" + "|".join(re.escape(u) for u in usernames) + ")$"


def _excerpt(body: str) -> str:
    return Truncator(" ".join(body.split())).chars(80)


def _require_author_or_staff(actor: User, author_id: int) -> None:
    if actor.pk != author_id and not actor.is_staff:
        raise PermissionDenied


def post_create(*, author: User, stream: str, body: str, source: str = Source.WEB) -> Post:
    """Post Markdown on a stream the author may see; emits `Create` of a `post`.

    The activity targets the stream's object, so the stream's followers receive it and only
    those who may see that object do. Mentioned people and followers of the named #topics
    receive it too. The author follows the post, so replies reach them.
    Raises ValidationError for an empty body or a stream that is unknown, invisible or not postable.
    """
    if not body.strip():
        raise ValidationError({"body": "A post needs some text."})
    prefix, object_id = registry.split_stream(stream)
    if prefix in NOT_POSTABLE or not stream_visible(viewer=author, stream=stream):
        raise ValidationError({"stream": f"No stream {stream!r} to post on."})
    kind = registry.kind_for(prefix)
    target_name = kind.name(object_id) if kind else ""
    with transaction.atomic():
        rendered = _render(body, actor=author)
        post = Post.objects.create(author=author, stream=stream, body=body, body_html=rendered.html)
        where = "" if stream == author.stream_key else f" on {target_name or stream}"
        post.activity = activity_publish(
            actor=author,
            verb=Verb.CREATE,
            obj=ObjectRef(type="post", id=str(post.pk), name=_excerpt(body)),
            target=ObjectRef(type=prefix, id=object_id, name=target_name),
            summary=f"{author.display_name} posted{where}",
            streams=rendered.streams,
            payload={"content": rendered.html},
            source=source,
        )
        post.save(update_fields=["activity"])
        follow_ensure(user=author, stream=post.stream_key)
    return post


def post_update(*, post: Post, actor: User, body: str) -> Post:
    """Edit a post (its author, or staff). The activity is append-only: feeds show the new body.

    People first mentioned in an edit are linked but not notified (no new activity is emitted).
    """
    _require_author_or_staff(actor, post.author_id)
    if post.deleted_at is not None:
        raise ValidationError({"non_field_errors": "This post was deleted."})
    if not body.strip():
        raise ValidationError({"body": "A post needs some text."})
    with transaction.atomic():
        post.body = body
        post.body_html = _render(body, actor=post.author).html
        post.edited_at = timezone.now()
        post.save(update_fields=["body", "body_html", "edited_at"])
    return post


def post_delete(*, post: Post, actor: User) -> Post:
    """Delete a post (its author, or staff), leaving a tombstone: the row stays, its text goes."""
    _require_author_or_staff(actor, post.author_id)
    if post.deleted_at is None:
        post.body = post.body_html = ""
        post.deleted_at = timezone.now()
        post.save(update_fields=["body", "body_html", "deleted_at"])
    return post


def _counts_add(activity_id: int, *, comments: int = 0, likes: int = 0) -> None:
    ActivityCounts.objects.bulk_create([ActivityCounts(activity_id=activity_id)], ignore_conflicts=True)
    ActivityCounts.objects.filter(pk=activity_id).update(
        comment_count=F("comment_count") + comments, like_count=F("like_count") + likes
    )


def comment_create(*, author: User, activity: Activity, body: str, source: str = Source.WEB) -> Comment:
    """Comment on an activity the author may see (the caller checks); emits `Create` of a `comment`.

    The comment activity targets what was commented on (`post:5`, `deal:42`), so that thread's
    followers receive it; commenting on a post follows it. Comments on comments are refused.
    """
    if activity.object_type == "comment":
        raise ValidationError({"non_field_errors": "Reply to the post or change, not to a comment."})
    if not body.strip():
        raise ValidationError({"body": "A comment needs some text."})
    with transaction.atomic():
        rendered = _render(body, actor=author)
        comment = Comment.objects.create(activity=activity, author=author, body=body, body_html=rendered.html)
        _counts_add(activity.pk, comments=1)
        activity_publish(
            actor=author,
            verb=Verb.CREATE,
            obj=ObjectRef(type="comment", id=str(comment.pk), name=_excerpt(body)),
            target=ObjectRef(type=activity.object_type, id=activity.object_id, name=activity.object_name),
            summary=f"{author.display_name} commented on {activity.object_name or activity.object_stream}",
            streams=rendered.streams,
            payload={"content": rendered.html, "in_reply_to": activity.pk},
            source=source,
        )
        if activity.object_type == "post":
            follow_ensure(user=author, stream=activity.object_stream)
    return comment


def comment_update(*, comment: Comment, actor: User, body: str) -> Comment:
    """Edit a comment (its author, or staff)."""
    _require_author_or_staff(actor, comment.author_id)
    if comment.deleted_at is not None:
        raise ValidationError({"non_field_errors": "This comment was deleted."})
    if not body.strip():
        raise ValidationError({"body": "A comment needs some text."})
    comment.body = body
    comment.body_html = _render(body, actor=comment.author).html
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "body_html", "edited_at"])
    return comment


def comment_delete(*, comment: Comment, actor: User) -> Comment:
    """Delete a comment (its author, or staff), leaving a tombstone; the thread's count drops by one."""
    _require_author_or_staff(actor, comment.author_id)
    with transaction.atomic():
        updated = Comment.objects.filter(pk=comment.pk, deleted_at__isnull=True).update(
            body="", body_html="", deleted_at=timezone.now()
        )
        if updated:
            _counts_add(comment.activity_id, comments=-1)
    comment.refresh_from_db()
    return comment


def like_create(*, user: User, activity: Activity) -> bool:
    """Like an activity (a post, a change); idempotent. Returns whether a new like was recorded."""
    with transaction.atomic():
        _, created = Like.objects.get_or_create(user=user, activity=activity)
        if created:
            _counts_add(activity.pk, likes=1)
    return created


def like_delete(*, user: User, activity: Activity) -> bool:
    """Withdraw a like; returns whether there was one."""
    with transaction.atomic():
        deleted, _ = Like.objects.filter(user=user, activity=activity).delete()
        if deleted:
            _counts_add(activity.pk, likes=-1)
    return deleted > 0


def comment_like_create(*, user: User, comment: Comment) -> bool:
    """Like a comment; idempotent. Returns whether a new like was recorded."""
    with transaction.atomic():
        _, created = CommentLike.objects.get_or_create(user=user, comment=comment)
        if created:
            Comment.objects.filter(pk=comment.pk).update(like_count=F("like_count") + 1)
    return created


def comment_like_delete(*, user: User, comment: Comment) -> bool:
    """Withdraw a like from a comment; returns whether there was one."""
    with transaction.atomic():
        deleted, _ = CommentLike.objects.filter(user=user, comment=comment).delete()
        if deleted:
            Comment.objects.filter(pk=comment.pk).update(like_count=F("like_count") - 1)
    return deleted > 0


def bookmark_create(*, user: User, activity: Activity) -> None:
    """Bookmark an activity; idempotent."""
    Bookmark.objects.bulk_create([Bookmark(user=user, activity=activity)], ignore_conflicts=True)


def bookmark_delete(*, user: User, activity: Activity) -> bool:
    """Remove a bookmark; returns whether there was one."""
    deleted, _ = Bookmark.objects.filter(user=user, activity=activity).delete()
    return deleted > 0


PROFILE_FIELDS = ("first_name", "last_name", "title", "department", "about", "timezone")
# A new title or department is news to colleagues; a reworded "about" is not.
PROFILE_TRACKED = ("title", "department")


def profile_update(*, person: User, actor: User, data: Mapping[str, Any]) -> User:
    """Change a person's profile (themselves, or staff); a new title or department emits `Update`.

    Only `PROFILE_FIELDS` may change. The `Update` is written to the person's stream, so
    their followers see "Dana Morgan changed title from … to …".
    """
    _require_author_or_staff(actor, person.pk)
    unknown = set(data) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in sorted(unknown)})
    with transaction.atomic():
        current = User.objects.select_for_update().get(pk=person.pk)
        updated, changes = apply_changes(current, data, PROFILE_TRACKED)
        if not updated:
            return current
        current.full_clean(exclude=["password"])
        current.save(update_fields=updated)
        if changes:
            labels = ", ".join(c.label.lower() for c in changes)
            activity_publish(
                actor=actor,
                verb=Verb.UPDATE,
                obj=ObjectRef(type="user", id=str(current.pk), name=current.display_name),
                summary=f"{current.display_name} updated their {labels}"
                if actor.pk == current.pk
                else f"{actor.display_name} updated {labels} of {current.display_name}",
                changes=changes,
            )
    return current


def activity_share(
    *, actor: User, activity: Activity, stream: str, body: str = "", source: str = Source.WEB
) -> Activity:
    """Share (repost) an activity the actor may see onto another stream; emits `Announce`.

    The announce names the original's object (so it is visible exactly where the original is)
    and targets the stream shared to (whose followers receive it). An optional Markdown note
    may mention people and name topics, like a post.
    """
    prefix, object_id = registry.split_stream(stream)
    if prefix in NOT_POSTABLE or not stream_visible(viewer=actor, stream=stream):
        raise ValidationError({"stream": f"No stream {stream!r} to share to."})
    kind = registry.kind_for(prefix)
    target_name = kind.name(object_id) if kind else ""
    with transaction.atomic():
        rendered = _render(body, actor=actor) if body.strip() else None
        where = "" if stream == actor.stream_key else f" on {target_name or stream}"
        return activity_publish(
            actor=actor,
            verb=Verb.ANNOUNCE,
            obj=ObjectRef(type=activity.object_type, id=activity.object_id, name=activity.object_name),
            target=ObjectRef(type=prefix, id=object_id, name=target_name),
            summary=f"{actor.display_name} shared {activity.object_name or activity.object_stream}{where}",
            streams=rendered.streams if rendered else (),
            payload={"content": rendered.html if rendered else None, "shared_activity": activity.pk},
            source=source,
        )


def group_create(*, actor: User, name: str, description: str = "", is_private: bool = False) -> Group:
    """Create a group; its creator is its first admin and follows it. Emits `Create` of a `group`."""
    with transaction.atomic():
        group = Group(name=name, description=description, is_private=is_private, created_by=actor)
        group.full_clean()
        group.save()
        Membership.objects.create(group=group, user=actor, role=Membership.Role.ADMIN)
        follow_ensure(user=actor, stream=group.stream_key)
        activity_publish(
            actor=actor,
            verb=Verb.CREATE,
            obj=ObjectRef(type="group", id=str(group.pk), name=group.name),
            summary=f"{actor.display_name} created the group {group.name}",
        )
    return group


def _is_group_admin(group: Group, user: User) -> bool:
    return (
        user.is_staff
        or Membership.objects.filter(group=group, user=user, role=Membership.Role.ADMIN).exists()
    )


def membership_add(*, group: Group, user: User, actor: User) -> Membership:
    """Add `user` to a group and make them follow it; idempotent.

    Anyone may join a public group themselves; private groups take members only from their
    admins (or staff), as does adding someone else.
    """
    needs_admin = group.is_private or actor.pk != user.pk
    if needs_admin and not _is_group_admin(group, actor):
        raise PermissionDenied
    with transaction.atomic():
        membership, _ = Membership.objects.get_or_create(group=group, user=user)
        follow_ensure(user=user, stream=group.stream_key)
    return membership


def membership_remove(*, group: Group, user: User, actor: User) -> bool:
    """Leave a group (or, for admins and staff, remove someone); they stop following it."""
    if actor.pk != user.pk and not _is_group_admin(group, actor):
        raise PermissionDenied
    with transaction.atomic():
        deleted, _ = Membership.objects.filter(group=group, user=user).delete()
        follow_delete(user=user, stream=group.stream_key)
    return deleted > 0
