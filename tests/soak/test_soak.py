"""Soak (`make soak`, not CI): a steady mix of REST writes and reads and resuming websocket clients
against real Daphne, Celery worker and beat processes, with the worker SIGKILLed and restarted
every `FEEDHUB_SOAK_RESTART_SECONDS`.

Checks: error rate <= 0.1 %, Daphne memory growth <= 10 % (median of the last quarter of samples
against the first, after warm-up), the fan-out queue drains, every accepted change in every
follower's inbox exactly once, and every websocket client ends with 0 missing and 0 duplicates.
Figures go to stdout and `var/soak-latest.json`.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from pathlib import Path

import httpx
import pytest
import redis as redis_lib
from websockets.exceptions import WebSocketException

from apps.accounts.services import api_token_create
from apps.activity.models import Activity, Follow, InboxEntry
from apps.activity.services import follow_create
from tests.accounts.factories import UserFactory
from tests.e2e.test_chaos import ResumingClient
from tests.harness import ROOT, free_port, kill_group, start_beat, start_daphne, start_worker, stop
from tests.records.factories import make_client, make_deal

SECONDS = int(os.environ.get("FEEDHUB_SOAK_SECONDS", "0"))
SOCKETS = int(os.environ.get("FEEDHUB_SOAK_SOCKETS", "100"))
WRITES_PER_SECOND = float(os.environ.get("FEEDHUB_SOAK_WRITES_PER_SECOND", "10"))
READS_PER_SECOND = float(os.environ.get("FEEDHUB_SOAK_READS_PER_SECOND", "20"))
RESTART_SECONDS = int(os.environ.get("FEEDHUB_SOAK_RESTART_SECONDS", "60"))
RAMP_SECONDS = float(os.environ.get("FEEDHUB_SOAK_RAMP_SECONDS", "30"))

pytestmark = [
    pytest.mark.soak,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(SECONDS <= 0, reason="soak runs on demand: make soak (FEEDHUB_SOAK_SECONDS)"),
]


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def _catch_up(client: ResumingClient, attempts: int = 5) -> None:
    """The final resume, retried: a loaded Daphne may drop a handshake (the client would retry too)."""
    for attempt in range(attempts):
        try:
            await client.catch_up()
            return
        except (OSError, TimeoutError, WebSocketException):
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(1)


def test_soak_steady_mix_loses_nothing_duplicates_nothing_and_memory_stays_flat(tmp_path, settings):
    # Given: deals, followers (some with live websockets), an editor and a reader.
    client = make_client()
    deals = [make_deal(client=client, name=f"Soak deal {i}") for i in range(5)]
    editor, reader = UserFactory(password=None), UserFactory(password=None)
    watchers = [UserFactory(password=None) for _ in range(SOCKETS)]
    for index, user in enumerate(watchers):
        follow_create(user=user, stream=deals[index % len(deals)].stream_key)
    editor_token = api_token_create(user=editor, name="soak").secret
    reader_token = api_token_create(user=reader, name="soak").secret
    watch_tokens = [api_token_create(user=u, name="ws").secret for u in watchers]

    port = free_port()
    env = {"FEEDHUB_OUTBOX_GRACE_SECONDS": "10", "FEEDHUB_OUTBOX_SWEEP_SECONDS": "2"}
    daphne = start_daphne(port, tmp_path, **env)
    worker = start_worker(tmp_path, **env)
    beat = start_beat(tmp_path, **env)
    base = f"http://127.0.0.1:{port}"
    queue = redis_lib.Redis.from_url(settings.REDIS_URL)
    figures: dict = {"seconds": SECONDS, "sockets": SOCKETS, "worker_restarts": 0}
    statuses: dict[str, list[int]] = {"write": [], "read": []}
    memory: list[int] = []
    queue_lengths: list[int] = []

    async def scenario() -> list[ResumingClient]:
        nonlocal worker
        clients = [ResumingClient(f"ws://127.0.0.1:{port}/ws/feed/?token={t}") for t in watch_tokens]
        # Sockets open over RAMP_SECONDS, as people arrive, and the clock starts once every one is
        # live: a soak measures the steady state, and a thousand simultaneous handshakes on one
        # Daphne process is a reconnect storm, which the chaos test covers.
        ramp_started = time.monotonic()
        tasks = []
        for c in clients:
            tasks.append(asyncio.create_task(c.run()))
            await asyncio.sleep(RAMP_SECONDS / len(clients))
        ready_by = time.monotonic() + 300
        while waiting := sum(c.cursor is None for c in clients):
            assert time.monotonic() < ready_by, f"{waiting} sockets not ready 300 s after the ramp-up"
            await asyncio.sleep(0.5)
        figures["ramp_up_seconds"] = round(time.monotonic() - ramp_started, 1)
        stop_at = time.monotonic() + SECONDS
        stages = ["negotiation", "proposal"]
        locks = {deal.pk: asyncio.Lock() for deal in deals}
        counters = dict.fromkeys(locks, 0)

        async with httpx.AsyncClient(base_url=base, timeout=30) as http:

            async def writes() -> None:
                n = 0
                while time.monotonic() < stop_at:
                    deal = deals[n % len(deals)]
                    n += 1
                    async with locks[deal.pk]:
                        stage = stages[counters[deal.pk] % 2]
                        response = await http.patch(
                            f"/api/v1/deals/{deal.pk}/",
                            json={"stage": stage},
                            headers={"Authorization": f"Bearer {editor_token}"},
                        )
                        if response.status_code == 200:
                            counters[deal.pk] += 1
                    statuses["write"].append(response.status_code)
                    await asyncio.sleep(1 / WRITES_PER_SECOND)

            async def reads() -> None:
                while time.monotonic() < stop_at:
                    response = await http.get(
                        "/api/v1/feed/company/", headers={"Authorization": f"Bearer {reader_token}"}
                    )
                    statuses["read"].append(response.status_code)
                    await asyncio.sleep(1 / READS_PER_SECOND)

            async def restarts() -> None:
                nonlocal worker
                next_restart = time.monotonic() + RESTART_SECONDS
                while time.monotonic() < stop_at:
                    if time.monotonic() >= next_restart:
                        await asyncio.to_thread(kill_group, worker)
                        worker = await asyncio.to_thread(start_worker, tmp_path, **env)
                        figures["worker_restarts"] += 1
                        next_restart = time.monotonic() + RESTART_SECONDS
                    await asyncio.sleep(0.5)

            async def samples() -> None:
                while time.monotonic() < stop_at:
                    memory.append(_rss_kib(daphne.pid))
                    queue_lengths.append(await asyncio.to_thread(queue.llen, "fanout"))
                    await asyncio.sleep(5)

            await asyncio.gather(writes(), reads(), restarts(), samples())

        deadline = time.monotonic() + 300
        while await asyncio.to_thread(lambda: Activity.objects.filter(fanout_pending=True).count()):
            assert time.monotonic() < deadline, "fan-outs still pending 300 s after the soak"
            await asyncio.sleep(1)
        await asyncio.sleep(2)
        for c in clients:
            c.running = False
        await asyncio.gather(*tasks)
        for c in clients:
            await _catch_up(c)
        return clients

    try:
        clients = asyncio.run(scenario())
    finally:
        for proc in (beat, daphne):
            stop(proc)
        kill_group(worker)

    # Figures.
    requests = statuses["write"] + statuses["read"]
    errors = [s for s in requests if not 200 <= s < 300]
    quarter = max(1, len(memory) // 4)
    warm = memory[1:] or memory
    first, last = statistics.median(warm[:quarter]), statistics.median(warm[-quarter:])
    updates = list(Activity.objects.filter(verb="Update", actor=editor).values_list("pk", "object_id"))
    followers_of: dict[str, set[int]] = {}
    for user_id, stream in Follow.objects.filter(stream__startswith="deal:").values_list("user_id", "stream"):
        followers_of.setdefault(stream.removeprefix("deal:"), set()).add(user_id)
    inbox: dict[int, list[int]] = {}
    for user_id, activity_id in InboxEntry.objects.filter(activity__verb="Update").values_list(
        "user_id", "activity_id"
    ):
        inbox.setdefault(activity_id, []).append(user_id)
    missing = sum(len(followers_of[d] - set(inbox.get(a, []))) for a, d in updates)
    duplicated = sum(len(v) - len(set(v)) for v in inbox.values())
    ws_missing = ws_duplicates = 0
    for user, c in zip(watchers, clients, strict=True):
        # Clients receive activity ids as cursors, not inbox row ids.
        expected = set(
            InboxEntry.objects.filter(user=user, activity__verb="Update").values_list(
                "activity_id", flat=True
            )
        )
        ws_missing += len(expected - set(c.received))
        ws_duplicates += len(c.received) - len(set(c.received))
    figures.update(
        requests=len(requests),
        writes_accepted=sum(1 for s in statuses["write"] if s == 200),
        error_rate=len(errors) / max(1, len(requests)),
        errors=sorted(set(errors)),
        daphne_rss_kib_first=first,
        daphne_rss_kib_last=last,
        memory_growth=(last - first) / first if first else 0.0,
        fanout_queue_max=max(queue_lengths, default=0),
        fanout_queue_last=queue_lengths[-1] if queue_lengths else 0,
        activities=len(updates),
        inbox_missing=missing,
        inbox_duplicated=duplicated,
        ws_missing=ws_missing,
        ws_duplicates=ws_duplicates,
        ws_reconnects=sum(c.reconnects for c in clients),
    )
    print(json.dumps(figures, indent=2))  # noqa: T201
    (ROOT / "var").mkdir(exist_ok=True)
    (ROOT / "var" / "soak-latest.json").write_text(json.dumps(figures, indent=2))

    assert figures["error_rate"] <= 0.001, figures
    assert figures["memory_growth"] <= 0.10, figures
    assert len(updates) == figures["writes_accepted"]
    assert missing == 0
    assert duplicated == 0
    assert ws_missing == 0
    assert ws_duplicates == 0
    assert Activity.objects.filter(fanout_pending=True).count() == 0
