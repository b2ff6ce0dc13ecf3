"""Social writes: posts, comments, likes, bookmarks and topics. Each emits through `activity_publish`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from apps.accounts.models import User
from apps.activity import registry
from apps.activity.models import Activity
from apps.activity.selectors import stream_visible
from apps.activity.services import (
    ObjectRef,
    activity_add_streams,
    activity_deliver,
    activity_publish,
    follow_auto,
    follow_delete,
    follow_ensure,
)
from apps.activity.tracking import apply_changes
from apps.activity.verbs import Source, Verb
from apps.notifications.reasons import Reason

from ..kinds import MENTION
from ..models import (
    ActivityCounts,
    Bookmark,
    Comment,
    CommentLike,
    Group,
    GroupJoinRequest,
    Like,
    Membership,
    Post,
    Topic,
)
from ..rendering import excerpt, mentioned_usernames, render_markdown, topic_slugs
from .live import likes_changed
from .notify import tell
from .polls import poll_attach

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


def _mentions_deliver(*, activity: Activity, people: list[User], thread: str) -> None:
    """Tell mentioned people who may see `activity`, and make them follow the thread (their
    `mention` auto-follow rule permitting), so replies reach them."""
    told = tell(reason=Reason.MENTIONED, user_ids=[u.pk for u in people], activity=activity, target=thread)
    if told:
        follow_auto(user_ids=told, stream=thread, rule="mention")


def _rewrite(item: Post | Comment, *, body: str, what: str) -> list[User]:
    """Save a new body on a live post or comment; returns the people it mentions for the first time."""
    if item.deleted_at is not None:
        raise ValidationError({"non_field_errors": f"This {what} was deleted."})
    if not body.strip():
        raise ValidationError({"body": f"A {what} needs some text."})
    rendered = _render(body, actor=item.author)
    before = set(mentioned_usernames(item.body))
    item.body, item.body_html, item.edited_at = body, rendered.html, timezone.now()
    item.save(update_fields=["body", "body_html", "edited_at"])
    return [u for u in rendered.mentioned if u.username.lower() not in before]


def _require_author_or_staff(actor: User, author_id: int) -> None:
    if actor.pk != author_id and not actor.is_staff:
        raise PermissionDenied


def post_create(
    *,
    author: User,
    stream: str,
    body: str,
    source: str = Source.WEB,
    is_question: bool = False,
    poll_choices: list[str] | None = None,
    poll_closes_at: datetime | None = None,
) -> Post:
    """Post Markdown on a stream the author may see; emits `Create` of a `post`.

    The activity targets the stream's object, so the stream's followers receive it and only
    those who may see that object do. Mentioned people and followers of the named #topics
    receive it too; mentioned people are notified (`mentioned`). The author follows the post,
    so replies reach them. A post may be a question (answers are comments; one can be marked
    best) or carry a poll (2-10 `poll_choices`, optionally closing at `poll_closes_at`).
    Raises ValidationError for an empty body, a bad poll, or a stream that is unknown,
    invisible or not postable.
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
        post = Post.objects.create(
            author=author, stream=stream, body=body, body_html=rendered.html, is_question=is_question
        )
        if poll_choices is not None:
            poll_attach(post=post, choices=poll_choices, closes_at=poll_closes_at)
        where = "" if stream == author.stream_key else f" on {target_name or stream}"
        post.activity = activity_publish(
            actor=author,
            verb=Verb.CREATE,
            obj=ObjectRef(type="post", id=str(post.pk), name=excerpt(body)),
            target=ObjectRef(type=prefix, id=object_id, name=target_name),
            summary=f"{author.display_name} posted{where}",
            streams=rendered.streams,
            payload={"content": rendered.html},
            source=source,
        )
        post.save(update_fields=["activity"])
        follow_ensure(user=author, stream=post.stream_key)
        _mentions_deliver(activity=post.activity, people=rendered.mentioned, thread=post.stream_key)
    return post


def post_update(*, post: Post, actor: User, body: str) -> Post:
    """Edit a post (its author, or staff). The activity is append-only: feeds show the new body.

    People first mentioned by this edit (not those already mentioned) are notified, the post is
    added to their "mentions" feed and (if they may see it) their news feed and socket, once, and
    they follow the thread; no new activity is emitted.
    """
    _require_author_or_staff(actor, post.author_id)
    with transaction.atomic():
        added = _rewrite(post, body=body, what="post")
        if added and post.activity is not None:
            _mentions_added(activity=post.activity, people=added, thread=post.stream_key)
    return post


def _mentions_added(*, activity: Activity, people: list[User], thread: str) -> None:
    """People an edit mentions for the first time: the item joins their "mentions" feed and,
    if they may see it, their news feed and live socket (once), and they are told."""
    activity_add_streams(activity=activity, streams=[f"{MENTION}:{u.pk}" for u in people])
    _mentions_deliver(activity=activity, people=people, thread=thread)
    activity_deliver(activity=activity, user_ids=[u.pk for u in people])


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
    followers receive it; the commenter follows what they commented on (a post's thread or a
    record; their `comment` auto-follow rule permitting). Mentioned people are notified
    (`mentioned`), and a post's author (`commented`) unless they muted the thread.
    Comments on comments are refused.
    """
    if activity.object_type == "comment":
        raise ValidationError({"non_field_errors": "Reply to the post or change, not to a comment."})
    if not body.strip():
        raise ValidationError({"body": "A comment needs some text."})
    with transaction.atomic():
        rendered = _render(body, actor=author)
        comment = Comment.objects.create(activity=activity, author=author, body=body, body_html=rendered.html)
        _counts_add(activity.pk, comments=1)
        published = activity_publish(
            actor=author,
            verb=Verb.CREATE,
            obj=ObjectRef(type="comment", id=str(comment.pk), name=excerpt(body)),
            target=ObjectRef(type=activity.object_type, id=activity.object_id, name=activity.object_name),
            summary=f"{author.display_name} commented on {activity.object_name or activity.object_stream}",
            streams=rendered.streams,
            payload={"content": rendered.html, "in_reply_to": activity.pk},
            source=source,
        )
        # The comment is the thread's latest activity: feeds sorted that way move it up.
        Activity.objects.filter(pk=activity.pk).update(
            bumped_id=Greatest(Coalesce("bumped_id", Value(0)), Value(published.pk))
        )
        thread = activity.object_stream
        if activity.object_type not in ("user", "group"):
            follow_auto(user_ids=[author.pk], stream=thread, rule="comment")
        _mentions_deliver(activity=published, people=rendered.mentioned, thread=thread)
        if activity.object_type == "post":
            post_author = Post.objects.filter(pk=int(activity.object_id)).values_list("author_id", flat=True)
            tell(
                reason=Reason.COMMENTED,
                user_ids=list(post_author),
                activity=published,
                target=thread,
                thread_mute=True,
            )
    return comment


def comment_update(*, comment: Comment, actor: User, body: str) -> Comment:
    """Edit a comment (its author, or staff); people first mentioned by this edit are notified."""
    _require_author_or_staff(actor, comment.author_id)
    with transaction.atomic():
        added = _rewrite(comment, body=body, what="comment")
        if added:
            own = Activity.objects.filter(
                object_type="comment", object_id=str(comment.pk), verb=Verb.CREATE
            ).first()
            thread = (
                Activity.objects.filter(pk=comment.activity_id)
                .values_list("object_type", "object_id")
                .first()
            )
            if own is not None and thread is not None:
                _mentions_added(activity=own, people=added, thread=":".join(thread))
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
    """Like an activity (a post, a change); idempotent. Returns whether a new like was recorded.

    A new like tells whoever did the liked activity (`liked`, aggregated per item while unread:
    "Ann and 3 others liked …") through a record-only `Like` activity, which no feed shows.
    """
    with transaction.atomic():
        _, created = Like.objects.get_or_create(user=user, activity=activity)
        if created:
            _counts_add(activity.pk, likes=1)
            _like_tell(user=user, liked=activity)
            likes_changed(activity_id=activity.pk)
    return created


def _like_tell(*, user: User, liked: Activity) -> None:
    if liked.actor_id is None or liked.actor_id == user.pk:
        return
    name = liked.object_name or liked.object_stream
    what = f"your post “{name}”" if liked.object_type == "post" else f"“{name}”"
    like = activity_publish(
        actor=user,
        verb=Verb.LIKE,
        obj=ObjectRef(type=liked.object_type, id=liked.object_id, name=liked.object_name),
        target=ObjectRef(type=liked.target_type, id=liked.target_id, name=liked.target_name)
        if liked.target_type
        else None,
        summary=f"{user.display_name} liked {what}",
        payload={"liked_activity": liked.pk},
        record_only=True,
    )
    tell(reason=Reason.LIKED, user_ids=[liked.actor_id], activity=like, target=liked.object_stream)


def like_delete(*, user: User, activity: Activity) -> bool:
    """Withdraw a like; returns whether there was one."""
    with transaction.atomic():
        deleted, _ = Like.objects.filter(user=user, activity=activity).delete()
        if deleted:
            _counts_add(activity.pk, likes=-1)
            likes_changed(activity_id=activity.pk)
    return deleted > 0


def comment_like_create(*, user: User, comment: Comment) -> bool:
    """Like a comment (the caller checks the user may see it); idempotent. Returns whether a new
    like was recorded.

    A new like tells the comment's author (`liked`, aggregated per comment while unread: "Ann
    and 2 others liked your comment …") through a record-only `Like` activity targeting the
    comment's thread, so only an author who may still see the thread hears of it; muting the
    thread (or the record) silences it, as does turning the reason off.
    """
    with transaction.atomic():
        _, created = CommentLike.objects.get_or_create(user=user, comment=comment)
        if created:
            Comment.objects.filter(pk=comment.pk).update(like_count=F("like_count") + 1)
            _comment_like_tell(user=user, comment=comment)
            likes_changed(activity_id=comment.activity_id, comment_id=comment.pk)
    return created


def _comment_like_tell(*, user: User, comment: Comment) -> None:
    if comment.author_id == user.pk or comment.deleted_at is not None:
        return
    thread = Activity.objects.filter(pk=comment.activity_id).first()
    if thread is None:
        return
    name = excerpt(comment.body)
    like = activity_publish(
        actor=user,
        verb=Verb.LIKE,
        obj=ObjectRef(type="comment", id=str(comment.pk), name=name),
        target=ObjectRef(type=thread.object_type, id=thread.object_id, name=thread.object_name),
        summary=f"{user.display_name} liked your comment “{name}”",
        payload={"liked_comment": comment.pk},
        record_only=True,
    )
    tell(
        reason=Reason.LIKED,
        user_ids=[comment.author_id],
        activity=like,
        target=f"comment:{comment.pk}",
        thread=thread.object_stream,
        thread_mute=True,
    )


def comment_like_delete(*, user: User, comment: Comment) -> bool:
    """Withdraw a like from a comment; returns whether there was one."""
    with transaction.atomic():
        deleted, _ = CommentLike.objects.filter(user=user, comment=comment).delete()
        if deleted:
            Comment.objects.filter(pk=comment.pk).update(like_count=F("like_count") - 1)
            likes_changed(activity_id=comment.activity_id, comment_id=comment.pk)
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
        shared = activity_publish(
            actor=actor,
            verb=Verb.ANNOUNCE,
            obj=ObjectRef(type=activity.object_type, id=activity.object_id, name=activity.object_name),
            target=ObjectRef(type=prefix, id=object_id, name=target_name),
            summary=f"{actor.display_name} shared {activity.object_name or activity.object_stream}{where}",
            streams=rendered.streams if rendered else (),
            payload={"content": rendered.html if rendered else None, "shared_activity": activity.pk},
            source=source,
        )
        if rendered:
            tell(reason=Reason.MENTIONED, user_ids=[u.pk for u in rendered.mentioned], activity=shared)
    return shared


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


def is_group_admin(group: Group, user: User) -> bool:
    return (
        user.is_staff
        or Membership.objects.filter(group=group, user=user, role=Membership.Role.ADMIN).exists()
    )


def membership_add(*, group: Group, user: User, actor: User) -> Membership:
    """Add `user` to a group and make them follow it; idempotent.

    Anyone may join a public group themselves; private groups take members only from their
    admins (or staff), as does adding someone else (others ask: `join_request_create`).
    Someone added by another person is told (`group_added`) through an `Add` activity.
    """
    needs_admin = group.is_private or actor.pk != user.pk
    if needs_admin and not is_group_admin(group, actor):
        raise PermissionDenied
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(group=group, user=user)
        follow_ensure(user=user, stream=group.stream_key)
        GroupJoinRequest.objects.filter(
            group=group, user=user, status=GroupJoinRequest.Status.PENDING
        ).update(status=GroupJoinRequest.Status.APPROVED, decided_by=actor, decided_at=timezone.now())
        if created and actor.pk != user.pk:
            added = activity_publish(
                actor=actor,
                verb=Verb.ADD,
                obj=ObjectRef(type="user", id=str(user.pk), name=user.display_name),
                target=ObjectRef(type="group", id=str(group.pk), name=group.name),
                summary=f"{actor.display_name} added {user.display_name} to {group.name}",
            )
            tell(reason=Reason.GROUP_ADDED, user_ids=[user.pk], activity=added, target=group.stream_key)
    return membership


def group_join(*, group: Group, user: User) -> Membership | GroupJoinRequest:
    """Join a public group, or ask to join a private one (a pending request); a member stays one."""
    membership = Membership.objects.filter(group=group, user=user).first()
    if membership is not None:
        return membership
    if group.is_private and not is_group_admin(group, user):
        return join_request_create(group=group, user=user)
    return membership_add(group=group, user=user, actor=user)


def join_request_create(*, group: Group, user: User) -> GroupJoinRequest:
    """Ask to join a private group; idempotent while a request is pending.

    A new request tells the group's admins (`join_requested`, aggregated per group while unread)
    through a record-only `Join` activity, which no feed shows.
    Raises ValidationError for a public group (join it directly) or someone already a member.
    """
    if not group.is_private:
        raise ValidationError({"non_field_errors": "This group is public: join it directly."})
    if Membership.objects.filter(group=group, user=user).exists():
        raise ValidationError({"non_field_errors": "You are already a member."})
    with transaction.atomic():
        join_request, created = GroupJoinRequest.objects.get_or_create(
            group=group, user=user, status=GroupJoinRequest.Status.PENDING
        )
        if created:
            asked = activity_publish(
                actor=user,
                verb=Verb.JOIN,
                obj=ObjectRef(type="group", id=str(group.pk), name=group.name),
                summary=f"{user.display_name} asked to join {group.name}",
                payload={"join_request": join_request.pk},
                record_only=True,
            )
            admins = Membership.objects.filter(group=group, role=Membership.Role.ADMIN).values_list(
                "user_id", flat=True
            )
            tell(reason=Reason.JOIN_REQUESTED, user_ids=list(admins), activity=asked, target=group.stream_key)
    return join_request


def join_request_decide(*, join_request: GroupJoinRequest, actor: User, approve: bool) -> GroupJoinRequest:
    """Approve (adds the person, who is told: `group_added`) or reject a pending request.

    Only the group's admins or staff decide (PermissionDenied otherwise); a decided request
    cannot be decided again (ValidationError).
    """
    if not is_group_admin(join_request.group, actor):
        raise PermissionDenied
    with transaction.atomic():
        locked = GroupJoinRequest.objects.select_for_update().get(pk=join_request.pk)
        if locked.status != GroupJoinRequest.Status.PENDING:
            raise ValidationError({"decision": f"This request was already {locked.status}."})
        if approve:
            membership_add(group=locked.group, user=locked.user, actor=actor)
        else:
            locked.status = GroupJoinRequest.Status.REJECTED
            locked.decided_by, locked.decided_at = actor, timezone.now()
            locked.save(update_fields=["status", "decided_by", "decided_at"])
        locked.refresh_from_db()
    return locked


def membership_remove(*, group: Group, user: User, actor: User) -> bool:
    """Leave a group (or, for admins and staff, remove someone); they stop following it."""
    if actor.pk != user.pk and not is_group_admin(group, actor):
        raise PermissionDenied
    with transaction.atomic():
        deleted, _ = Membership.objects.filter(group=group, user=user).delete()
        follow_delete(user=user, stream=group.stream_key)
        if deleted:
            # A private group's feed, and records shared with the group, are no longer theirs to see.
            transaction.on_commit(lambda: registry.access_changed(user_ids=[user.pk]))
    return deleted > 0
