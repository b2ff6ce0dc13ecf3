"""A small, fully hand-countable history spread over two known days, written through the services.

Each step's time is set explicitly afterwards (activities, likes and follows get `now` when
written), so the expected figures in the tests can be worked out by reading this file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from apps.accounts.models import User
from apps.activity.models import Activity, Follow
from apps.activity.services import follow_create, follow_delete
from apps.analytics.models import FollowEnded
from apps.records.models import Client, Deal
from apps.records.services import record_update
from apps.social.models import Group, Like, Post
from apps.social.services import comment_create, group_create, like_create, membership_add, post_create
from tests.accounts.factories import UserFactory
from tests.records.factories import make_client, make_deal

DAY1 = date(2026, 3, 2)
DAY2 = date(2026, 3, 3)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _stamp_last_activity(when: datetime) -> Activity:
    activity = Activity.objects.order_by("-pk").first()
    Activity.objects.filter(pk=activity.pk).update(published=when)
    activity.refresh_from_db()
    return activity


@dataclass
class Story:
    ann: User
    bob: User
    cai: User
    dee: User
    eve: User
    client: Client
    deal: Deal
    post: Post
    group: Group
    private_post: Post


def build_story() -> Story:
    """Day 1: Ann creates client C and deal X (following both); Bob posts on X with #pricing;
    Cai replies 30 minutes later (the first response), Bob replies to himself; Dee and Cai like
    the post; Dee follows X.
    Day 2: Ann moves X to negotiation; Cai creates private group G and adds Dee (both follow it);
    Dee posts in G with #pricing; Dee unfollows X; Ann comments on Bob's post; Bob likes Ann's change.
    Eve is in nothing."""
    ann = UserFactory(username="ann", first_name="Ann", last_name="Lee")
    bob = UserFactory(username="bob", first_name="Bob", last_name="Ray")
    cai = UserFactory(username="cai", first_name="Cai", last_name="Wu")
    dee = UserFactory(username="dee", first_name="Dee", last_name="Fox")
    eve = UserFactory(username="eve", first_name="Eve", last_name="Ng")

    client = make_client(owner=ann, name="Client C")
    _stamp_last_activity(at(DAY1, 9))
    deal = make_deal(owner=ann, client=client, name="Deal X")
    _stamp_last_activity(at(DAY1, 9, 10))
    Follow.objects.filter(user=ann).update(created_at=at(DAY1, 9, 10))

    post = post_create(author=bob, stream=deal.stream_key, body="Kickoff notes #pricing")
    _stamp_last_activity(at(DAY1, 10))
    comment_create(author=cai, activity=post.activity, body="Looks good")
    _stamp_last_activity(at(DAY1, 10, 30))
    comment_create(author=bob, activity=post.activity, body="Thanks")
    _stamp_last_activity(at(DAY1, 11))
    like_create(user=dee, activity=post.activity)
    like_create(user=cai, activity=post.activity)
    Like.objects.filter(activity=post.activity).update(created_at=at(DAY1, 12))
    follow_create(user=dee, stream=deal.stream_key)
    Follow.objects.filter(user=dee, stream=deal.stream_key).update(created_at=at(DAY1, 13))

    change = record_update(record=deal, actor=ann, data={"stage": Deal.Stage.NEGOTIATION})
    change_activity = _stamp_last_activity(at(DAY2, 9))
    group = group_create(actor=cai, name="Pricing council", is_private=True)
    _stamp_last_activity(at(DAY2, 8))
    membership_add(group=group, user=dee, actor=cai)
    Follow.objects.filter(stream=group.stream_key).update(created_at=at(DAY2, 8))
    private_post = post_create(author=dee, stream=group.stream_key, body="Our floor price #pricing")
    _stamp_last_activity(at(DAY2, 10))
    follow_delete(user=dee, stream=deal.stream_key)
    FollowEnded.objects.filter(user=dee).update(ended_at=at(DAY2, 14))
    comment_create(author=ann, activity=post.activity, body="Agreed")
    _stamp_last_activity(at(DAY2, 15))
    like_create(user=bob, activity=change_activity)
    Like.objects.filter(activity=change_activity).update(created_at=at(DAY2, 16))
    assert change.stage == Deal.Stage.NEGOTIATION
    post.refresh_from_db()
    return Story(
        ann=ann,
        bob=bob,
        cai=cai,
        dee=dee,
        eve=eve,
        client=client,
        deal=deal,
        post=post,
        group=group,
        private_post=private_post,
    )


def build_month(*, today: date, people: list[User]) -> list[Deal]:
    """About a month of believable history ending `today` (seeded): records, changes, posts with
    #topics, replies and likes, busier in the last week, with one deal left to go cold."""
    import random
    from datetime import timedelta

    from apps.records.services import brief_create, deal_create

    rng = random.Random(10)
    lead = people[0]
    clients = [
        make_client(owner=lead, name=name, industry=industry)
        for name, industry in (("Northwind Traders", "Retail"), ("Globex", "Energy"), ("Initech", "Software"))
    ]
    deals = [
        deal_create(
            actor=owner,
            data={"client": client, "name": name, "stage": Deal.Stage.PROPOSAL, "amount": "50000"},
        )
        for owner, client, name in (
            (people[1], clients[0], "Northwind loyalty app"),
            (people[2], clients[1], "Globex retainer 2027"),
            (people[1], clients[2], "Initech rebrand"),
            (people[3], clients[1], "Globex field trial"),
        )
    ]
    briefs = [brief_create(actor=people[2], data={"client": clients[0], "title": "Autumn launch film"})]
    Activity.objects.update(
        published=datetime.combine(today - timedelta(days=29), datetime.min.time(), tzinfo=UTC)
    )
    topics = ["pricing", "launch", "renewal"]
    for offset in range(29, -1, -1):
        day = today - timedelta(days=offset)
        busy = 6 if offset < 7 else 2
        for _ in range(rng.randint(1, busy)):
            author = rng.choice(people)
            record = rng.choice(deals[:3] + briefs)
            topic = topics[0] if offset < 7 and rng.random() < 0.6 else rng.choice(topics)
            post = post_create(author=author, stream=record.stream_key, body=f"Notes on #{topic}")
            when = at(day, rng.randint(8, 16), rng.randint(0, 59))
            Activity.objects.filter(pk=post.activity_id).update(published=when)
            if rng.random() < 0.7:
                replier = rng.choice([p for p in people if p != author])
                comment_create(author=replier, activity=post.activity, body="On it")
                minutes = rng.randint(5, 240)
                _stamp_last_activity(when + timedelta(minutes=minutes))
            for liker in rng.sample(people, rng.randint(0, 3)):
                like_create(user=liker, activity=post.activity)
            Like.objects.filter(activity=post.activity).update(created_at=when + timedelta(hours=1))
    return deals
