"""A deal changes; its follower's notification arrives live through real Daphne, Celery and Redis."""

import asyncio
import json

import httpx
import pytest
import websockets

from apps.accounts.services import api_token_create
from apps.activity.services import follow_create
from tests.accounts.factories import UserFactory
from tests.records.factories import make_deal

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


async def next_of_type(ws, kind: str, timeout: float = 15) -> dict:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if message["type"] == kind:
            return message


def test_notification_arrives_live_via_the_notifications_queue_and_mark_read_updates_the_count(stack):
    deal = make_deal()
    follower, editor = UserFactory(), UserFactory()
    follow_create(user=follower, stream=deal.stream_key)
    follower_auth = {"Authorization": f"Bearer {api_token_create(user=follower, name='e2e').secret}"}
    editor_auth = {"Authorization": f"Bearer {api_token_create(user=editor, name='e2e').secret}"}
    token = follower_auth["Authorization"].removeprefix("Bearer ")

    async def scenario() -> tuple[dict, dict]:
        async with websockets.connect(f"{stack.ws_url}/ws/feed/?token={token}") as ws:
            await next_of_type(ws, "ready")
            async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as http:
                patched = await http.patch(
                    f"/api/v1/deals/{deal.pk}/", json={"stage": "negotiation"}, headers=editor_auth
                )
                assert patched.status_code == 200, patched.text
                pushed = await next_of_type(ws, "notification")
                read = await http.post(
                    f"/api/v1/notifications/{pushed['data']['id']}/read/", headers=follower_auth
                )
                assert read.json() == {"unread": 0}
                return pushed, await next_of_type(ws, "unread")

    pushed, unread = asyncio.run(scenario())

    assert pushed["unread"] == 1
    assert (pushed["data"]["reason"], pushed["data"]["target"]) == ("record_changed", deal.stream_key)
    assert pushed["data"]["actor"]["id"] == editor.pk
    assert unread == {"type": "unread", "count": 0}
