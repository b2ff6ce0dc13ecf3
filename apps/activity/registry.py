"""What can be followed, and who gets told: explicit registries filled from AppConfig.ready().

`activity` knows nothing about Clients or Deals. Apps register each followable kind with a
stream prefix and bulk visibility predicates, and each delivery sink (websocket push,
notifications, webhooks) that fan-out calls after inbox rows are committed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apps.accounts.models import User

    from .models import Activity


def everyone(object_id: str, user_ids: Collection[int]) -> set[int]:
    return set(user_ids)


def _all_objects(viewer: User, object_ids: Collection[str]) -> set[str]:
    return set(object_ids)


@dataclass(frozen=True)
class StreamKind:
    """A followable kind. `prefix` is the stream key prefix (`deal` in `deal:42`)."""

    prefix: str
    label: str
    # Which of these users may see object `object_id` (used by fan-out, per activity).
    users_who_can_see: Callable[[str, Collection[int]], set[int]] = everyone
    # Which of these object ids the viewer may see (used by reads, per page).
    visible_object_ids: Callable[[User, Collection[str]], set[str]] = _all_objects
    url: Callable[[str], str] = field(default=lambda object_id: "")
    # The object's display name, for activities that name it as their target (a post on it).
    name: Callable[[str], str] = field(default=lambda object_id: "")
    # Users who receive every activity written to this stream without following it (the
    # `mention:<user id>` stream delivers to that user). Fan-out still applies visibility.
    direct_recipients: Callable[[str], set[int]] | None = None
    # Private delivery streams (mentions) must not be followed by others.
    followable: bool = True
    # Do followers hear (a notification) when an object of this kind is created or changed?
    # Records: yes. People, posts, comments, groups: their own notification reasons say who is told.
    notify_changes: bool = True
    # Kinds whose activities are also written to this kind's streams (roll-up: a client's stream
    # carries its briefs' and deals'). A follow with `include_related` off skips activities whose
    # object is of one of these kinds.
    rolled_up_kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeliveredBatch:
    activity: Activity
    data: dict[str, Any]
    recipient_ids: list[int]
    streams: list[str]
    # Streams of the activity merged into followers' feeds at read time: their followers are
    # not in `recipient_ids` (websockets hear of it through the stream's group).
    merged_streams: list[str] = field(default_factory=list)
    # The activity was fanned out before and now reaches more people (someone an edit newly
    # mentions): `recipient_ids` are only those. Sinks that act once per activity skip it.
    late: bool = False


DeliverySink = Callable[[DeliveredBatch], None]


@dataclass(frozen=True)
class FollowEnded:
    """A follow that was just deleted: follows leave no row behind, so observers keep the record."""

    user_id: int
    stream: str
    followed_at: datetime


# Called inside the unfollowing transaction, so the record exists if and only if the unfollow does.
UnfollowHook = Callable[[FollowEnded], None]

# Adds viewer-specific fields (counts, "liked by me", current post body) to a whole feed page
# at once: `(viewer, activities, items)` where items[i] is the JSON of activities[i].
PageHydrator = Callable[["User", list["Activity"], list[dict[str, Any]]], None]

# Which of these users want to follow automatically under `rule` (one of AUTO_FOLLOW_RULES).
AutoFollowPolicy = Callable[[str, Collection[int]], set[int]]
AUTO_FOLLOW_RULES = ("create", "own", "comment", "mention")
# Told when who may see something changed: `(streams, user_ids)` are the streams whose audience
# changed and the people whose access changed (either may be empty). Listeners re-check open
# sockets and recount what those people may see.
AccessListener = Callable[[list[str], list[int]], None]

_kinds: dict[str, StreamKind] = {}
_sinks: dict[str, DeliverySink] = {}
_hydrators: dict[str, PageHydrator] = {}
_auto_follow_policy: list[AutoFollowPolicy] = []
_unfollow_hooks: dict[str, UnfollowHook] = {}
_access_listeners: dict[str, AccessListener] = {}


def register_kind(kind: StreamKind) -> None:
    _kinds[kind.prefix] = kind


def register_sink(name: str, sink: DeliverySink) -> None:
    """Register a delivery sink; sinks run in registration order after fan-out commits."""
    _sinks[name] = sink


def register_hydrator(name: str, hydrator: PageHydrator) -> None:
    """Register a page hydrator; feed pages run them in registration order, once per page."""
    _hydrators[name] = hydrator


def register_auto_follow_policy(policy: AutoFollowPolicy) -> None:
    """Register who auto-follows under which rule (the per-user settings live in the app that owns them)."""
    _auto_follow_policy[:] = [policy]


def auto_followers(rule: str, user_ids: Collection[int]) -> set[int]:
    """Those of `user_ids` whose auto-follow `rule` is on; everyone when no policy is registered."""
    if rule not in AUTO_FOLLOW_RULES:
        raise ValueError(f"unknown auto-follow rule {rule!r}")
    if not _auto_follow_policy or not user_ids:
        return set(user_ids)
    return _auto_follow_policy[0](rule, user_ids)


def register_unfollow_hook(name: str, hook: UnfollowHook) -> None:
    """Register a function told of every deleted follow (e.g. to count followers lost)."""
    _unfollow_hooks[name] = hook


def unfollow_hooks() -> list[UnfollowHook]:
    return list(_unfollow_hooks.values())


def register_access_listener(name: str, listener: AccessListener) -> None:
    _access_listeners[name] = listener


def access_changed(*, streams: Iterable[str] = (), user_ids: Iterable[int] = ()) -> None:
    """Tell every access listener that visibility changed; call after the change commits."""
    streams, user_ids = list(streams), list(user_ids)
    for listener in _access_listeners.values():
        listener(streams, user_ids)


def hydrators() -> list[PageHydrator]:
    return list(_hydrators.values())


def direct_recipients(streams: Iterable[str]) -> set[int]:
    """Users the given streams deliver to regardless of follows (e.g. mentioned people)."""
    users: set[int] = set()
    for stream in streams:
        prefix, object_id = split_stream(stream)
        kind = _kinds.get(prefix)
        if kind is not None and kind.direct_recipients is not None:
            users |= kind.direct_recipients(object_id)
    return users


def rolled_up_streams(object_type: str, streams: Iterable[str]) -> list[str]:
    """Those of `streams` that carry an activity on an `object_type` object only by roll-up."""
    rolled_up = []
    for stream in streams:
        kind = _kinds.get(split_stream(stream)[0])
        if kind is not None and object_type in kind.rolled_up_kinds:
            rolled_up.append(stream)
    return sorted(rolled_up)


def rollup_pairs() -> list[str]:
    """Every roll-up as "<stream prefix>:<object kind>" (`client:deal`), for SQL filters."""
    return sorted(f"{prefix}:{rolled}" for prefix, kind in _kinds.items() for rolled in kind.rolled_up_kinds)


def rolls_up(prefix: str) -> bool:
    """Does any other kind's activity roll up into streams of this kind?"""
    kind = _kinds.get(prefix)
    return kind is not None and bool(kind.rolled_up_kinds)


def kind_for(prefix: str) -> StreamKind | None:
    return _kinds.get(prefix)


def kinds() -> dict[str, StreamKind]:
    return dict(_kinds)


def sinks() -> list[DeliverySink]:
    return list(_sinks.values())


def split_stream(stream: str) -> tuple[str, str]:
    prefix, _, object_id = stream.partition(":")
    return prefix, object_id


def users_who_can_see(activity: Activity, user_ids: Iterable[int]) -> set[int]:
    """Those of `user_ids` allowed to see the activity's object (and its target, if any)."""
    allowed = set(user_ids)
    for kind_prefix, object_id in (
        (activity.object_type, activity.object_id),
        (activity.target_type, activity.target_id),
    ):
        kind = _kinds.get(kind_prefix)
        if kind is not None and allowed:
            allowed = kind.users_who_can_see(object_id, allowed)
    return allowed


def restricts_audience(activity: Activity) -> bool:
    """Could the activity's object or target kind hide it from anyone? (Fan-out skips the
    per-recipient check when neither kind has a predicate.)"""
    for prefix in (activity.object_type, activity.target_type):
        kind = _kinds.get(prefix)
        if kind is not None and kind.users_who_can_see is not everyone:
            return True
    return False


def visible_activities(viewer: User, activities: list[Activity]) -> list[Activity]:
    """Drop activities whose object or target the viewer may not see; one check per kind."""
    wanted: dict[str, set[str]] = {}
    for activity in activities:
        wanted.setdefault(activity.object_type, set()).add(activity.object_id)
        if activity.target_type:
            wanted.setdefault(activity.target_type, set()).add(activity.target_id)
    visible: dict[str, set[str]] = {}
    for prefix, ids in wanted.items():
        kind = _kinds.get(prefix)
        visible[prefix] = kind.visible_object_ids(viewer, ids) if kind else ids
    return [
        a
        for a in activities
        if a.object_id in visible[a.object_type]
        and (not a.target_type or a.target_id in visible[a.target_type])
    ]


def stream_url(stream: str) -> str:
    prefix, object_id = split_stream(stream)
    kind = _kinds.get(prefix)
    return kind.url(object_id) if kind else ""


def _existing_users(viewer: User, object_ids: Collection[str]) -> set[str]:
    from apps.accounts.models import User

    ids = [int(i) for i in object_ids if str(i).isdigit()]
    return {str(pk) for pk in User.objects.filter(pk__in=ids).values_list("pk", flat=True)}


def _user_name(object_id: str) -> str:
    from apps.accounts.models import User

    user = User.objects.filter(pk=int(object_id)).first() if object_id.isdigit() else None
    return user.display_name if user else ""


def register_builtin_kinds() -> None:
    register_kind(
        StreamKind(
            prefix="user",
            label="Person",
            visible_object_ids=_existing_users,
            name=_user_name,
            url=lambda pk: f"/people/{pk}/",
            notify_changes=False,
        )
    )
