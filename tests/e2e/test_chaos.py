"""Nothing lost, nothing duplicated: writes keep flowing while Redis restarts and workers are killed."""

import asyncio
import json
import time

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus, WebSocketException

from apps.accounts.services import api_token_create
from apps.activity.models import Activity, Follow, InboxEntry
from apps.activity.services import follow_create
from tests.accounts.factories import UserFactory
from tests.harness import (
    free_port,
    kill_group,
    start_beat,
    start_daphne,
    start_redis,
    start_worker,
    stop,
)
from tests.records.factories import make_client, make_deal

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e"), pytest.mark.django_db(transaction=True)]

TOTAL = 2000
CONCURRENCY = 8


class ResumingClient:
    """A websocket client that reconnects with its last cursor, as the browser does."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.cursor: int | None = None
        self.received: list[int] = []
        self.reconnects = 0
        self.resyncs = 0
        self.running = True

    def _url(self) -> str:
        return self.url + (f"&since={self.cursor}" if self.cursor is not None else "")

    def _take(self, message: dict) -> None:
        if message["type"] == "activity" and message["feed"] == "news":
            self.received.append(message["cursor"])
            self.cursor = message["cursor"]
        elif message["type"] == "ready" and self.cursor is None:
            self.cursor = message["cursor"] or 0
        elif message["type"] == "resync":
            self.resyncs += 1

    async def run(self) -> None:
        while self.running:
            try:
                async with websockets.connect(self._url(), open_timeout=5) as ws:
                    while self.running:
                        try:
                            raw = await asyncio.wait_for(ws.recv(), 0.5)
                        except TimeoutError:
                            continue
                        self._take(json.loads(raw))
                        await ws.send(json.dumps({"type": "ack", "cursor": self.cursor}))
            except (OSError, TimeoutError, InvalidStatus, WebSocketException):
                pass
            if self.running:
                self.reconnects += 1
                await asyncio.sleep(0.3)

    async def catch_up(self) -> None:
        """One last resume: everything after the last cursor, up to `ready`."""
        async with websockets.connect(self._url(), open_timeout=5) as ws:
            while (message := json.loads(await asyncio.wait_for(ws.recv(), 10)))["type"] != "ready":
                self._take(message)


def test_every_accepted_change_reaches_every_follower_once_through_redis_restart_and_worker_kills(tmp_path):
    # Given: three deals, followers, and two followers with live resuming websockets.
    client = make_client()
    deals = [make_deal(client=client, name=f"Deal {i}") for i in range(3)]
    editor = UserFactory()
    followers = [UserFactory() for _ in range(6)]
    for index, user in enumerate(followers):
        for deal in deals[: 1 + index % 3]:
            follow_create(user=user, stream=deal.stream_key)
    editor_token = api_token_create(user=editor, name="chaos").secret
    watched = followers[2], followers[5]
    watch_tokens = [api_token_create(user=u, name="ws").secret for u in watched]

    redis_port, web_port = free_port(), free_port()
    env = {
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "FEEDHUB_OUTBOX_GRACE_SECONDS": "10",
        "FEEDHUB_OUTBOX_SWEEP_SECONDS": "2",
    }
    redis = start_redis(redis_port, tmp_path)
    daphne = start_daphne(web_port, tmp_path, **env)
    worker = start_worker(tmp_path, **env)
    beat = start_beat(tmp_path, **env)
    base = f"http://127.0.0.1:{web_port}"
    accepted: list[int] = []
    rejected: list[int] = []
    chaos_log: list[str] = []

    async def scenario() -> list[ResumingClient]:
        nonlocal redis, worker
        clients = [ResumingClient(f"ws://127.0.0.1:{web_port}/ws/feed/?token={t}") for t in watch_tokens]
        tasks = [asyncio.create_task(c.run()) for c in clients]
        await asyncio.sleep(1)
        semaphore = asyncio.Semaphore(CONCURRENCY)
        stages = ["negotiation", "proposal"]
        locks = {deal.pk: asyncio.Lock() for deal in deals}
        counters = dict.fromkeys(locks, 0)

        async with httpx.AsyncClient(base_url=base, timeout=30) as http:

            async def change(n: int) -> None:
                deal = deals[n % len(deals)]
                async with semaphore, locks[deal.pk]:
                    # Alternate the stage per deal so every accepted PATCH is a real change.
                    stage = stages[counters[deal.pk] % 2]
                    response = await http.patch(
                        f"/api/v1/deals/{deal.pk}/",
                        json={"stage": stage},
                        headers={"Authorization": f"Bearer {editor_token}"},
                    )
                    if response.status_code == 200:
                        counters[deal.pk] += 1
                        accepted.append(n)
                    else:
                        rejected.append(response.status_code)

            async def chaos() -> None:
                nonlocal redis, worker
                for at, action in ((400, "kill worker"), (900, "restart redis"), (1400, "kill worker")):
                    while len(accepted) + len(rejected) < at:
                        await asyncio.sleep(0.05)
                    chaos_log.append(f"{action} at {len(accepted)}")
                    if action == "kill worker":
                        await asyncio.to_thread(kill_group, worker)
                        worker = await asyncio.to_thread(start_worker, tmp_path, **env)
                    else:
                        redis.kill()
                        redis.wait()
                        await asyncio.sleep(1)
                        redis = await asyncio.to_thread(start_redis, redis_port, tmp_path)

            await asyncio.gather(chaos(), *(change(n) for n in range(TOTAL)))

        # Let the sweeper and workers drain every pending fan-out.
        deadline = time.monotonic() + 300
        while pending := await asyncio.to_thread(
            lambda: Activity.objects.filter(fanout_pending=True).count()
        ):
            assert time.monotonic() < deadline, (
                f"{pending} fan-outs still pending after 300 s; chaos: {chaos_log}"
            )
            await asyncio.sleep(0.5)
        await asyncio.sleep(1)
        for c in clients:
            c.running = False
        await asyncio.gather(*tasks)
        for c in clients:
            await c.catch_up()
        return clients

    try:
        clients = asyncio.run(scenario())
    finally:
        for proc in (beat, daphne):
            stop(proc)
        kill_group(worker)
        stop(redis)

    # Then: every accepted change is one activity...
    assert len(chaos_log) == 3, chaos_log
    assert rejected == []
    updates = list(Activity.objects.filter(verb="Update", actor=editor).values_list("pk", "object_id"))
    assert len(updates) == len(accepted) == TOTAL
    # ...in the inbox of exactly the followers of its deal (plus the editor and the owner), once each.
    followers_of: dict[str, set[int]] = {}
    for user_id, stream in Follow.objects.filter(stream__startswith="deal:").values_list("user_id", "stream"):
        followers_of.setdefault(stream.removeprefix("deal:"), set()).add(user_id)
    inbox: dict[int, set[int]] = {}
    for user_id, activity_id in InboxEntry.objects.filter(activity__verb="Update").values_list(
        "user_id", "activity_id"
    ):
        inbox.setdefault(activity_id, set()).add(user_id)
    owner_ids = {d.owner_id for d in deals}
    # Following the client includes its deals' activity (the roll-up): its followers are permitted too.
    roll_up = set(
        Follow.objects.filter(stream=client.stream_key, include_related=True).values_list(
            "user_id", flat=True
        )
    )
    missing = [
        a
        for a, deal_id in updates
        if not followers_of[deal_id] | roll_up | {editor.pk} <= inbox.get(a, set())
    ]
    assert missing == [], f"{len(missing)} activities missing from follower inboxes; chaos: {chaos_log}"
    strangers = [
        a for a, deal_id in updates if inbox[a] - followers_of[deal_id] - roll_up - {editor.pk} - owner_ids
    ]
    assert strangers == []
    # And each resuming websocket client saw each of its items exactly once.
    for user, c in zip(watched, clients, strict=True):
        expected = set(
            InboxEntry.objects.filter(user=user, activity__verb="Update").values_list(
                "activity_id", flat=True
            )
        )
        assert c.resyncs == 0
        assert len(c.received) == len(set(c.received)), "duplicates delivered"
        assert expected - set(c.received) == set(), "missed items"
