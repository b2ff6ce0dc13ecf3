"""Losing access is immediate on live sockets: unshare, logout and deactivation, through real Daphne."""

import asyncio
import json
import time

import httpx
import pytest
import websockets
from django.test import Client as DjangoClient

from apps.accounts.services import api_token_create
from apps.activity.services import follow_create
from apps.records.models import Visibility
from apps.records.services import record_share
from tests.accounts.factories import UserFactory
from tests.e2e.test_live_feed import activities_within, next_message, patch_stage
from tests.records.factories import make_deal

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


async def until(ws, wanted_type: str, timeout: float) -> dict:
    """The first message of `wanted_type` within `timeout` seconds (others are skipped)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        message = await next_message(ws, left)
        if message["type"] == wanted_type:
            return message
    raise TimeoutError(wanted_type)


def test_unshared_person_stops_receiving_the_records_items_within_a_second(stack):
    owner, kept, dropped = UserFactory(), UserFactory(), UserFactory()
    deal = make_deal(owner=owner, visibility=Visibility.PRIVATE)
    record_share(record=deal, actor=owner, users=[kept, dropped])
    for person in (kept, dropped):
        follow_create(user=person, stream=deal.stream_key)
    owner_token = api_token_create(user=owner, name="e2e").secret
    kept_token = api_token_create(user=kept, name="e2e").secret
    dropped_token = api_token_create(user=dropped, name="e2e").secret

    async def scenario() -> None:
        async with (
            websockets.connect(f"{stack.ws_url}/ws/feed/?token={kept_token}") as kept_ws,
            websockets.connect(f"{stack.ws_url}/ws/feed/?token={dropped_token}") as dropped_ws,
        ):
            for ws in (kept_ws, dropped_ws):
                assert (await next_message(ws, 5))["type"] == "ready"
                await ws.send(json.dumps({"type": "subscribe", "stream": deal.stream_key}))
                assert (await next_message(ws, 5))["type"] == "subscribed"

            response = await asyncio.to_thread(
                httpx.delete,
                f"{stack.base_url}/api/v1/deals/{deal.pk}/shares/users/{dropped.pk}/",
                headers={"Authorization": f"Bearer {owner_token}"},
                timeout=10,
            )
            assert response.status_code == 204
            # Within a second of the API confirming the unshare (the message usually beats the response).
            revoked = await until(dropped_ws, "unsubscribed", 1.0)
            assert revoked == {"type": "unsubscribed", "stream": deal.stream_key, "reason": "access_revoked"}

            await asyncio.to_thread(patch_stage, stack, owner_token, deal.pk, "negotiation")
            kept_items = await activities_within(kept_ws, 2.0)
            dropped_items = await activities_within(dropped_ws, 1.0)

        # The person who kept access sees the change on the news feed and the record page.
        assert {m["feed"] for m in kept_items if m["data"]["type"] == "Update"} == {"news", "stream"}
        assert dropped_items == []

    asyncio.run(scenario())


def _browser_session(user, stack) -> tuple[dict[str, str], str]:
    """A signed-in browser session (cookies) and its CSRF token, as a browser would hold them."""
    browser = DjangoClient()
    browser.force_login(user)
    cookies = {"sessionid": browser.cookies["sessionid"].value}
    page = httpx.get(f"{stack.base_url}/", cookies=cookies, timeout=10)
    assert page.status_code == 200
    return {**cookies, "csrftoken": page.cookies["csrftoken"]}, page.cookies["csrftoken"]


def test_logging_out_closes_that_sessions_sockets_but_not_the_persons_token_clients(stack):
    user = UserFactory()
    cookies, csrf = _browser_session(user, stack)
    token = api_token_create(user=user, name="bot").secret
    cookie_header = "; ".join(f"{k}={v}" for k, v in cookies.items())

    async def scenario() -> None:
        async with (
            websockets.connect(
                f"{stack.ws_url}/ws/feed/",
                additional_headers={"Cookie": cookie_header, "Origin": stack.base_url},
            ) as browser_ws,
            websockets.connect(f"{stack.ws_url}/ws/feed/?token={token}") as bot_ws,
        ):
            assert (await next_message(browser_ws, 5))["type"] == "ready"
            assert (await next_message(bot_ws, 5))["type"] == "ready"

            response = await asyncio.to_thread(
                httpx.post,
                f"{stack.base_url}/logout/",
                cookies=cookies,
                headers={"X-CSRFToken": csrf},
                timeout=10,
            )
            assert response.status_code in (200, 302)
            ended = await until(browser_ws, "session_ended", 1.0)
            assert ended["reason"] == "signed_out"
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(browser_ws.recv(), 2)
            assert closed.value.rcvd.code == 4403

            await bot_ws.send(json.dumps({"type": "ping"}))
            assert (await next_message(bot_ws, 2))["type"] == "pong"

    asyncio.run(scenario())


def test_deactivating_a_person_closes_their_sockets_and_stops_their_tokens_at_once(stack):
    user = UserFactory()
    token = api_token_create(user=user, name="bot").secret

    async def scenario() -> None:
        async with websockets.connect(f"{stack.ws_url}/ws/feed/?token={token}") as ws:
            assert (await next_message(ws, 5))["type"] == "ready"

            user.is_active = False
            await asyncio.to_thread(user.save)
            ended = await until(ws, "session_ended", 1.0)
            assert ended["reason"] == "deactivated"

        response = await asyncio.to_thread(
            httpx.get,
            f"{stack.base_url}/api/v1/feed/",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert response.status_code == 401
        with pytest.raises(websockets.InvalidStatus):
            async with websockets.connect(f"{stack.ws_url}/ws/feed/?token={token}") as again:
                await next_message(again, 2)

    asyncio.run(scenario())
