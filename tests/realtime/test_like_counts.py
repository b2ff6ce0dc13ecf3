"""Like counts pushed live to the sockets watching the liked item, in-process over the real layer."""

import pytest
from channels.db import database_sync_to_async

from apps.social.services import (
    comment_like_create,
    group_create,
    like_create,
    like_delete,
    membership_add,
)
from tests.accounts.factories import UserFactory
from tests.realtime.test_consumer import connect
from tests.social.factories import make_comment, make_post

pytestmark = pytest.mark.django_db(transaction=True)


async def subscribed(user, stream: str):
    ws = await connect(user)
    assert (await ws.receive_json_from())["type"] == "ready"
    await ws.send_json_to({"type": "subscribe", "stream": stream})
    assert await ws.receive_json_from() == {"type": "subscribed", "stream": stream}
    return ws


async def next_likes(ws) -> dict:
    while True:
        message = await ws.receive_json_from(timeout=3)
        if message["type"] == "likes":
            return message


async def test_likes_and_unlikes_of_a_post_and_its_comments_reach_its_watchers_with_the_new_count():
    def setup():
        author, fan = UserFactory(), UserFactory()
        post = make_post(author=author, body="Friday demo")
        comment = make_comment(activity=post.activity, author=fan, body="Count me in")
        return author, fan, post, comment

    author, fan, post, comment = await database_sync_to_async(setup)()
    on_post = await subscribed(await database_sync_to_async(UserFactory)(), post.stream_key)
    on_profile = await subscribed(await database_sync_to_async(UserFactory)(), author.stream_key)

    await database_sync_to_async(like_create)(user=fan, activity=post.activity)
    expected = {
        "type": "likes",
        "stream": post.stream_key,
        "activity": post.activity_id,
        "comment": None,
        "count": 1,
    }
    assert await next_likes(on_post) == expected
    assert await next_likes(on_profile) == expected

    await database_sync_to_async(like_delete)(user=fan, activity=post.activity)
    assert (await next_likes(on_post))["count"] == 0

    await database_sync_to_async(comment_like_create)(user=author, comment=comment)
    assert await next_likes(on_post) == {**expected, "comment": comment.pk, "count": 1}
    for ws in (on_post, on_profile):
        await ws.disconnect()


async def test_a_like_in_a_private_group_does_not_reach_an_outsider_watching_the_authors_profile():
    def setup():
        author, member, outsider = UserFactory(), UserFactory(), UserFactory()
        group = group_create(actor=author, name="Board", is_private=True)
        membership_add(group=group, user=member, actor=author)
        post = make_post(author=author, stream=group.stream_key, body="Budget, in confidence")
        return author, member, outsider, post

    author, member, outsider, post = await database_sync_to_async(setup)()
    # Both may watch the author's profile; only the member may see the post that stream carries.
    insider = await subscribed(member, author.stream_key)
    outside = await subscribed(outsider, author.stream_key)

    await database_sync_to_async(like_create)(user=member, activity=post.activity)

    assert (await next_likes(insider))["activity"] == post.activity_id
    assert await outside.receive_nothing(timeout=0.5)
    for ws in (insider, outside):
        await ws.disconnect()
