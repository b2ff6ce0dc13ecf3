"""Property: whatever people do, each person receives on every channel exactly what they may see.

Hypothesis plays random sequences of record creation, shares, unshares, visibility changes, group
membership, follows, posts (with mentions) and record changes. An independent oracle, written
here from the rules in the README and knowing nothing of the code's predicates, says who may see
what. After each sequence, for every person, every channel is compared with it:

- REST: the company feed and every record feed (exactly the visible items; 404 for an invisible
  record), search (exactly the visible posts), the news feed (no invisible item, and every item
  from a followed record they could see when it happened and still can);
- websocket: what the socket sends, read through the consumer's own delivery paths (the inbox
  replay it drains, and its per-item check for record-page pushes);
- notification inbox: no invisible notification, the unread counter equals the visible unread
  ones, and every followed record's visible change is there;
- email (a real SMTP sink): no message ever names a record or post its recipient could not see
  when it was sent, instant emails and digests alike.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.test import TestCase
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from apps.activity.models import Activity, ActivityStream
from apps.activity.selectors import inbox_after
from apps.activity.services import follow_create
from apps.notifications import emails
from apps.notifications.models import Notification, UnreadCounter
from apps.notifications.selectors import notification_list
from apps.realtime.consumers import FeedConsumer
from apps.records.models import Deal
from apps.records.services import (
    brief_create,
    client_create,
    deal_create,
    record_share,
    record_unshare,
    record_update,
    record_visibility_set,
)
from apps.social.services import group_create, membership_add, membership_remove, post_create
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FEEDHUB_PROPERTY_EXAMPLES", "200"))
PEOPLE = 4  # person 0 is an admin
OPS = (
    "client",
    "child",
    "share_user",
    "share_group",
    "unshare_user",
    "unshare_group",
    "visibility",
    "follow",
    "post",
    "group_post",
    "update",
    "join",
    "leave",
)


@dataclass
class Rec:
    obj: object
    kind: str
    owner: int
    visibility: str
    client: Rec | None = None
    users: set[int] = field(default_factory=set)
    groups: set[int] = field(default_factory=set)

    @property
    def stream(self) -> str:
        return f"{self.kind}:{self.obj.pk}"


@dataclass
class Grp:
    obj: object
    private: bool
    members: set[int]


class World:
    """The oracle: its own model of who may see what, updated as the operations run."""

    def __init__(self, people: list) -> None:
        self.people = people
        self.admin = people[0].pk
        self.records: list[Rec] = []
        self.groups: list[Grp] = []
        self.posts: dict[str, str] = {}  # post id -> stream it was written on
        self.follows: set[tuple[int, str]] = set()
        # (person id, activity id): what fan-out owed them, as of when it happened
        self.owed: set[tuple[int, int]] = set()
        self.changes_owed: set[tuple[int, str]] = set()  # (person, record stream) notifications
        self.tokens: dict[str, str] = {}  # text in names and bodies -> stream it belongs to
        self.seq = 0

    def token(self, prefix: str) -> str:
        self.seq += 1
        return f"{prefix}q{self.seq}zz"

    def record(self, stream: str) -> Rec | None:
        return next((r for r in self.records if r.stream == stream), None)

    def group(self, gid: str) -> Grp | None:
        return next((g for g in self.groups if str(g.obj.pk) == gid), None)

    def sees_record(self, uid: int, r: Rec) -> bool:
        if uid == self.admin or r.visibility == "company" or uid == r.owner or uid in r.users:
            return True
        if any(uid in g.members for g in self.groups if g.obj.pk in r.groups):
            return True
        return r.visibility == "inherit" and self.sees_record(uid, r.client)

    def sees_stream(self, uid: int, stream: str) -> bool:
        kind, _, oid = stream.partition(":")
        if kind in ("client", "brief", "deal"):
            return self.sees_record(uid, self.record(stream))
        if kind == "group":
            g = self.group(oid)
            return not g.private or uid in g.members
        if kind == "post":
            return self.sees_stream(uid, self.posts[oid])
        if kind in ("user", "topic", "comment"):
            return True
        raise AssertionError(f"the oracle does not know {kind!r} streams")

    def sees(self, uid: int, a: Activity) -> bool:
        """An item shows only if everything it names may be seen."""
        named = [f"{a.object_type}:{a.object_id}"] + (
            [f"{a.target_type}:{a.target_id}"] if a.target_type else []
        )
        return all(self.sees_stream(uid, s) for s in named)


def _pick(items: list, n: int):
    return items[n % len(items)] if items else None


def _apply(world: World, op: str, a: int, b: int, c: int) -> None:
    """Run one operation through the services, and mirror it in the oracle."""
    people = world.people
    actor, other = _pick(people, a), _pick(people, b)
    rec, grp = _pick(world.records, b), _pick(world.groups, c)
    if op == "client":
        visibility = ("company", "private")[c % 2]
        obj = client_create(actor=actor, data={"name": world.token("cli"), "visibility": visibility})
        world.records.append(Rec(obj, "client", actor.pk, visibility))
        world.follows.add((actor.pk, world.records[-1].stream))
    elif op == "child":
        parent = _pick([r for r in world.records if r.kind == "client"], b)
        if parent is None:
            return
        visibility = ("inherit", "company", "private")[c % 3]
        kind = ("deal", "brief")[a % 2]
        data = {"client": parent.obj, "visibility": visibility}
        if kind == "deal":
            obj = deal_create(actor=actor, data={**data, "name": world.token("deal")})
        else:
            obj = brief_create(actor=actor, data={**data, "title": world.token("brief")})
        world.records.append(Rec(obj, kind, actor.pk, visibility, client=parent))
        world.follows.add((actor.pk, world.records[-1].stream))
    elif op in ("share_user", "share_group", "unshare_user", "unshare_group", "visibility"):
        if rec is None or (op.endswith("group") and grp is None):
            return
        allowed = actor.pk in (rec.owner, world.admin)
        try:
            if op == "share_user":
                record_share(record=rec.obj, actor=actor, users=[other])
            elif op == "share_group":
                record_share(record=rec.obj, actor=actor, groups=[grp.obj])
            elif op == "unshare_user":
                record_unshare(record=rec.obj, actor=actor, users=[other])
            elif op == "unshare_group":
                record_unshare(record=rec.obj, actor=actor, groups=[grp.obj])
            else:
                choices = (
                    ("company", "private") if rec.kind == "client" else ("inherit", "company", "private")
                )
                rec.obj = record_visibility_set(
                    record=rec.obj, actor=actor, visibility=_pick(list(choices), c)
                )
        except PermissionDenied:
            assert not allowed, f"{op} refused to the record's owner or an admin"
            return
        assert allowed, f"{op} allowed to someone who is neither owner nor admin"
        if op == "share_user":
            rec.users.add(other.pk)
        elif op == "share_group":
            rec.groups.add(grp.obj.pk)
        elif op == "unshare_user":
            rec.users.discard(other.pk)
        elif op == "unshare_group":
            rec.groups.discard(grp.obj.pk)
        else:
            rec.visibility = rec.obj.visibility
    elif op == "follow":
        target = rec.stream if rec is not None and c % 2 else (grp.obj.stream_key if grp else None)
        if target is None or not world.sees_stream(actor.pk, target):
            return
        follow_create(user=actor, stream=target)
        world.follows.add((actor.pk, target))
    elif op in ("post", "group_post"):
        stream = (rec.stream if rec else None) if op == "post" else (grp.obj.stream_key if grp else None)
        if stream is None:
            return
        body = f"zephyr {world.token('post')} @{other.username}"
        try:
            post = post_create(author=actor, stream=stream, body=body)
        except ValidationError:
            assert not world.sees_stream(actor.pk, stream), "a visible stream refused a post"
            return
        assert world.sees_stream(actor.pk, stream), "posted on a stream its author may not see"
        world.posts[str(post.pk)] = stream
        world.tokens[body.split()[1]] = f"post:{post.pk}"
    elif op == "update":
        if rec is None or rec.kind != "deal" or not world.sees_record(actor.pk, rec):
            return  # the API answers 404 before the service is reached
        stage = _pick([s for s, _ in Deal.Stage.choices], c)
        rec.obj = record_update(record=rec.obj, actor=actor, data={"stage": stage})
    elif op == "join":
        if grp is None:
            return
        membership_add(group=grp.obj, user=other, actor=grp.obj.created_by)
        grp.members.add(other.pk)
    elif op == "leave":
        if grp is None or other.pk == grp.obj.created_by_id:
            return
        membership_remove(group=grp.obj, user=other, actor=other)
        grp.members.discard(other.pk)


def _record_what_is_owed(world: World, new: list[Activity]) -> None:
    """Fan-out for the activities an operation produced, as the oracle sees it, at that moment."""
    streams_of = {}
    for row in ActivityStream.objects.filter(activity__in=new).values_list("activity_id", "stream"):
        streams_of.setdefault(row[0], set()).add(row[1])
    for activity in new:
        for person in world.people:
            uid = person.pk
            if not world.sees(uid, activity):
                continue
            followed = {s for s in streams_of.get(activity.pk, ()) if (uid, s) in world.follows}
            followed_records = {s for s in followed if world.record(s)}
            if followed_records or f"mention:{uid}" in streams_of.get(activity.pk, ()):
                world.owed.add((uid, activity.pk))
            if (
                activity.verb == "Update"
                and activity.actor_id != uid
                and activity.object_stream in followed_records
            ):
                world.changes_owed.add((uid, activity.object_stream))


def _check_emails(world: World, messages: list) -> None:
    for message in messages:
        recipient = next(p for p in world.people if p.email == message["To"])
        text = message.get_body(preferencelist=("plain",)).get_content()
        for token, stream in world.tokens.items():
            if token in text:
                assert world.sees_stream(recipient.pk, stream), f"email to {recipient} names {stream}"


def _describe(activities: list[Activity], ids: set[int]) -> str:
    return "; ".join(
        f"{a.pk} {a.verb} {a.object_type}:{a.object_id} -> {a.target_type}:{a.target_id}"
        for a in activities
        if a.pk in ids
    )


def _ids(items: list[dict]) -> set[int]:
    return {item["id"] for item in items}


def _check_channels(world: World, since: int) -> None:
    everything = list(Activity.objects.filter(pk__gt=since).order_by("pk"))
    for person in world.people:
        uid = person.pk
        visible = {a.pk for a in everything if world.sees(uid, a)}
        api = APIClient()
        api.force_authenticate(person)

        company = api.get("/api/v1/feed/company/", {"limit": 100}).json()["orderedItems"]
        assert _ids(company) == visible, f"company feed of {uid}: " + _describe(
            everything, _ids(company) ^ visible
        )

        for rec in world.records:
            segment = {"client": "clients", "brief": "briefs", "deal": "deals"}[rec.kind]
            response = api.get(f"/api/v1/{segment}/{rec.obj.pk}/feed/", {"limit": 100})
            if not world.sees_record(uid, rec):
                assert response.status_code == 404, f"{rec.stream} feed answered {response.status_code}"
                continue
            in_stream = set(
                ActivityStream.objects.filter(stream=rec.stream).values_list("activity_id", flat=True)
            )
            assert _ids(response.json()["orderedItems"]) == in_stream & visible, f"{rec.stream} feed"
            for activity in everything:
                if activity.pk in in_stream:
                    probe = FeedConsumer()
                    probe.user = person
                    data = {
                        "object": {"type": activity.object_type, "id": activity.object_id},
                        "target": {"type": activity.target_type, "id": activity.target_id},
                    }
                    assert probe._may_see(data) == (activity.pk in visible), "record-page push"

        found = api.get("/api/v1/search/", {"q": "zephyr", "limit": 100}).json()["orderedItems"]
        posts = {a.pk for a in everything if a.object_type == "post" and a.verb == "Create"}
        assert _ids(found) == posts & visible, "search"

        owed = {aid for u, aid in world.owed if u == uid and aid in visible}
        news = _ids(api.get("/api/v1/feed/", {"limit": 100}).json()["orderedItems"])
        assert news <= visible, "news feed leak"
        assert owed <= news, "news feed miss"
        socket = {a.pk for a in inbox_after(user=person, position=0, limit=1000).activities}
        assert socket <= visible, "websocket leak"
        assert owed <= socket, "websocket miss"

        listed = notification_list(user=person, limit=100).items
        assert {n.activity_id for n in listed} <= visible, "notification leak"
        unread_visible = [
            n for n in Notification.objects.filter(recipient=person, unread=True) if n.activity_id in visible
        ]
        counter = UnreadCounter.objects.filter(user=person).values_list("unread", flat=True).first() or 0
        assert counter == len(unread_visible), "unread count"
        wanted = {stream for u, stream in world.changes_owed if u == uid and world.sees_stream(uid, stream)}
        assert wanted <= {n.target for n in listed}, "notification miss"


class _RollbackError(Exception):
    """Raised to undo an example's data once it is checked."""


_ARG = st.integers(0, 30)
# Weighted towards what changes access and what is owed: follows, changes, shares and unshares.
_WEIGHTS = {"follow": 3, "update": 3, "share_user": 2, "unshare_user": 2, "visibility": 2, "post": 2}
_STEP = st.tuples(st.sampled_from([op for op in OPS for _ in range(_WEIGHTS.get(op, 1))]), _ARG, _ARG, _ARG)
# Every story starts with a few records (a client first), so the other operations have
# something to act on; then anything goes.
_SETUP = st.tuples(st.just("client"), _ARG, _ARG, _ARG).flatmap(
    lambda first: st.lists(st.tuples(st.sampled_from(("client", "child")), _ARG, _ARG, _ARG), max_size=4).map(
        lambda more: [first, *more]
    )
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.tuples(_SETUP, st.lists(_STEP, min_size=1, max_size=14)).map(lambda parts: parts[0] + parts[1])
)
# Always tried: a follower notified of a change, then unshared (the unread count must drop).
@example(
    steps=[
        ("client", 1, 0, 1),
        ("child", 2, 0, 0),
        ("share_user", 2, 3, 0),
        ("follow", 3, 3, 1),
        ("update", 2, 3, 1),
        ("unshare_user", 2, 3, 0),
    ]
)
def test_everyone_receives_on_every_channel_exactly_what_they_may_see(steps, people, mailbox):
    run(steps, people, mailbox)


@pytest.fixture
def people() -> list:
    """The same people in every example (each example's own data is rolled back); the first is an admin."""
    return [UserFactory(is_staff=(i == 0)) for i in range(PEOPLE)]


def run(steps, people, mailbox) -> None:
    try:
        with transaction.atomic():
            since = Activity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            world = World(people)
            with TestCase.captureOnCommitCallbacks(execute=True):
                world.groups = [
                    Grp(group_create(actor=people[1], name=world.token("open")), False, {people[1].pk}),
                    Grp(
                        group_create(actor=people[2], name=world.token("closed"), is_private=True),
                        True,
                        {people[2].pk},
                    ),
                ]
            mailbox.messages.clear()
            for op, a, b, c in steps:
                before = Activity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                with TestCase.captureOnCommitCallbacks(execute=True):
                    _apply(world, op, a, b, c)
                for rec in world.records:
                    world.tokens[rec.obj.display_name] = rec.stream
                _record_what_is_owed(world, list(Activity.objects.filter(pk__gt=before)))
                _check_emails(world, mailbox.messages)
                mailbox.messages.clear()
            _check_channels(world, since)
            for person in people:
                with TestCase.captureOnCommitCallbacks(execute=True):
                    emails.send_digest(user_id=person.pk)
            _check_emails(world, mailbox.messages)
            raise _RollbackError
    except _RollbackError:
        pass
