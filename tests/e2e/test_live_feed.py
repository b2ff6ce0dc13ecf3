"""A deal changes; its followers see it live, through real Daphne, Celery and Redis."""

import asyncio
import json
import time

import httpx
import pytest
import websockets
import websockets.exceptions

from apps.accounts.services import api_token_create
from apps.activity.services import follow_create
from tests.accounts.factories import UserFactory
from tests.records.factories import make_deal

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


async def next_message(ws, timeout: float) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def activities_within(ws, seconds: float) -> list[dict]:
    """Every activity envelope received in the next `seconds`."""
    received, deadline = [], time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = await next_message(ws, left)
        except TimeoutError:
            break
        if message["type"] == "activity":
            received.append(message)
    return received


def patch_stage(stack, token: str, deal_id: int, stage: str) -> None:
    response = httpx.patch(
        f"{stack.base_url}/api/v1/deals/{deal_id}/",
        json={"stage": stage},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def test_follower_receives_stage_change_live_and_resumes_after_a_disconnect(stack):
    deal = make_deal()
    follower, editor, stranger = UserFactory(), UserFactory(first_name="Bo", last_name="Ray"), UserFactory()
    follow_create(user=follower, stream=deal.stream_key)
    follower_token = api_token_create(user=follower, name="e2e").secret
    editor_token = api_token_create(user=editor, name="e2e").secret
    stranger_token = api_token_create(user=stranger, name="e2e").secret

    async def scenario() -> None:
        async with (
            websockets.connect(f"{stack.ws_url}/ws/feed/?token={follower_token}") as ws,
            websockets.connect(f"{stack.ws_url}/ws/feed/?token={stranger_token}") as other,
        ):
            assert (await next_message(ws, 5))["type"] == "ready"
            assert (await next_message(other, 5))["type"] == "ready"

            started = time.monotonic()
            await asyncio.to_thread(patch_stage, stack, editor_token, deal.pk, "negotiation")
            live = await next_message(ws, 2.0)
            assert time.monotonic() - started < 2.0
            assert live["type"] == "activity"
            assert live["feed"] == "news"
            assert live["data"]["summary"] == "Bo Ray moved ACME rebrand from Proposal to Negotiation"
            assert live["data"]["changes"][0]["new"] == "negotiation"
            assert await activities_within(other, 1.0) == []
            last_cursor = live["cursor"]

        # Disconnected: two changes happen.
        await asyncio.to_thread(patch_stage, stack, editor_token, deal.pk, "closed_won")
        await asyncio.to_thread(patch_stage, stack, editor_token, deal.pk, "closed_lost")
        await asyncio.sleep(1.0)  # let fan-out finish while nobody listens

        async with websockets.connect(
            f"{stack.ws_url}/ws/feed/?token={follower_token}&since={last_cursor}"
        ) as ws:
            replayed = []
            while (message := await next_message(ws, 5))["type"] != "ready":
                replayed.append(message)
            assert message["replayed"] == 2
            assert [m["data"]["changes"][0]["new"] for m in replayed] == ["closed_won", "closed_lost"]
            assert replayed[0]["cursor"] < replayed[1]["cursor"]
            assert await activities_within(ws, 0.5) == []

    asyncio.run(scenario())


def test_unauthenticated_and_foreign_origin_websockets_are_refused(stack):
    user = UserFactory()
    token = api_token_create(user=user, name="e2e").secret

    async def scenario() -> None:
        with pytest.raises(websockets.exceptions.InvalidStatus):
            async with websockets.connect(f"{stack.ws_url}/ws/feed/"):
                pass
        with pytest.raises(websockets.exceptions.InvalidStatus):
            async with websockets.connect(f"{stack.ws_url}/ws/feed/?token=fh_user_forged"):
                pass
        with pytest.raises(websockets.exceptions.InvalidStatus):
            async with websockets.connect(
                f"{stack.ws_url}/ws/feed/?token={token}", origin="https://evil.example"
            ):
                pass

    asyncio.run(scenario())
