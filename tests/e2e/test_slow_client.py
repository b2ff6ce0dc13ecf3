"""A websocket reader that stops reading is cut off with `resync`, not buffered for without bound."""

import asyncio
import json
from pathlib import Path

import pytest
import websockets
import websockets.exceptions

from apps.accounts.services import api_token_create
from apps.activity.services import follow_create
from apps.records.services import record_update
from tests.accounts.factories import UserFactory
from tests.harness import free_port, start_daphne, stop
from tests.records.factories import make_deal

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e"), pytest.mark.django_db(transaction=True)]

WINDOW = 50
EVENTS = 300


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_client_that_never_reads_is_closed_with_resync_and_server_memory_stays_bounded(tmp_path):
    deal = make_deal()
    reader = UserFactory()
    follow_create(user=reader, stream=deal.stream_key)
    token = api_token_create(user=reader, name="slow").secret
    port = free_port()
    daphne = start_daphne(port, tmp_path, FEEDHUB_WS_ACK_WINDOW=str(WINDOW))

    async def scenario() -> tuple[list[dict], int | None, int]:
        # max_queue=1: the client stops pulling frames off the socket, like a stalled reader.
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/ws/feed/?token={token}", max_queue=1, ping_interval=None
        ) as ws:
            first = json.loads(await ws.recv())
            assert first["type"] == "ready"
            before = rss_kib(daphne.pid)
            stages = ["negotiation", "proposal"]
            for n in range(EVENTS):
                await asyncio.to_thread(
                    record_update, record=deal, actor=deal.owner, data={"stage": stages[n % 2]}
                )
            await asyncio.sleep(1)
            growth = rss_kib(daphne.pid) - before
            received = []
            try:
                while True:
                    received.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
            except websockets.exceptions.ConnectionClosed:
                pass
            return received, ws.close_code, growth

    try:
        received, close_code, growth_kib = asyncio.run(scenario())
    finally:
        stop(daphne)

    activities = [m for m in received if m["type"] == "activity"]
    assert len(activities) == WINDOW, (close_code, [m["type"] for m in received])
    assert received[-1] == {"type": "resync", "reason": "slow_consumer"}
    assert close_code == 4408
    assert growth_kib < 20 * 1024, f"Daphne grew by {growth_kib} KiB"
