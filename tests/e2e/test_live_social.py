"""Social reasons and live poll tallies through real Daphne, a real Celery worker and Redis."""

import asyncio
import json

import httpx
import pytest
import websockets

from apps.accounts.services import api_token_create
from apps.social.services import post_create
from tests.accounts.factories import UserFactory
from tests.e2e.test_live_notifications import next_of_type

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token_create(user=user, name='e2e').secret}"}


def test_likes_comments_and_mentions_notify_the_author_live_and_votes_push_tallies(stack):
    author = UserFactory(username="author")
    fans = [UserFactory(first_name=n, last_name="Lee") for n in ("Ann", "Bo")]
    post = post_create(
        author=author, stream=author.stream_key, body="Lunch, @author?", poll_choices=["Pizza", "Sushi"]
    )
    author_auth = bearer(author)
    fan_auth = [bearer(fan) for fan in fans]
    token = author_auth["Authorization"].removeprefix("Bearer ")

    async def scenario() -> tuple[list[dict], dict]:
        async with websockets.connect(f"{stack.ws_url}/ws/feed/?token={token}") as ws:
            await next_of_type(ws, "ready")
            await ws.send(json.dumps({"type": "subscribe", "stream": f"post:{post.pk}"}))
            await next_of_type(ws, "subscribed")
            async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as http:
                seen = []
                for auth in fan_auth:
                    liked = await http.post(f"/api/v1/activities/{post.activity_id}/like/", headers=auth)
                    assert liked.status_code == 200, liked.text
                    seen.append(await next_of_type(ws, "notification"))
                commented = await http.post(
                    f"/api/v1/activities/{post.activity_id}/comments/",
                    json={"body": "Pizza!"},
                    headers=fan_auth[0],
                )
                assert commented.status_code == 201, commented.text
                seen.append(await next_of_type(ws, "notification"))
                voted = await http.post(
                    f"/api/v1/posts/{post.pk}/poll/vote/", json={"choice": 1}, headers=fan_auth[1]
                )
                assert voted.status_code == 200, voted.text
                return seen, await next_of_type(ws, "poll")

    seen, tallies = asyncio.run(scenario())

    assert [(n["data"]["reason"], n["data"]["actor_count"], n["unread"]) for n in seen] == [
        ("liked", 1, 1),
        ("liked", 2, 1),
        ("commented", 1, 2),
    ]
    assert seen[1]["data"]["title"] == "Bo Lee and 1 other liked Lunch, @author?"
    assert (tallies["poll"], tallies["tallies"], tallies["votes"]) == (post.pk, [0, 1], 1)


def test_a_mention_added_by_editing_a_post_reaches_the_mentioned_socket_once(stack):
    author, dana = UserFactory(), UserFactory(username="dana")
    post = post_create(author=author, stream=author.stream_key, body="Plans")
    author_auth = bearer(author)
    token = bearer(dana)["Authorization"].removeprefix("Bearer ")

    async def scenario() -> tuple[list[dict], dict]:
        async with websockets.connect(f"{stack.ws_url}/ws/feed/?token={token}") as ws:
            await next_of_type(ws, "ready")
            async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as http:
                for body in ("Plans, @dana?", "Plans, @dana? Friday."):
                    edited = await http.patch(
                        f"/api/v1/posts/{post.pk}/", json={"body": body}, headers=author_auth
                    )
                    assert edited.status_code == 200, edited.text
                # A later item: whatever arrives before it would be a second copy of the edited post.
                later = await http.post(
                    "/api/v1/posts/",
                    json={"body": "And @dana, lunch?", "stream": author.stream_key},
                    headers=author_auth,
                )
                assert later.status_code == 201, later.text
            return [await next_of_type(ws, "activity"), await next_of_type(ws, "activity")], later.json()

    (first, second), later = asyncio.run(scenario())

    assert (first["feed"], first["cursor"]) == ("news", post.activity_id)
    assert (second["feed"], second["cursor"]) == ("news", later["activity"])
