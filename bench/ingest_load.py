"""B1 / B2: REST event ingestion over real sockets, against Daphne processes on loopback.

    python -m bench.ingest_load --tier quick --seconds 10 --servers 2

Starts `--servers` Daphne processes (REST served from several processes; the load balancer's
job is done by the clients, which spread requests round-robin), then:
B1: `--clients` concurrent clients POST one event each to /api/v1/events/ for `--seconds`;
B2: batches of FEEDHUB_MAX_BATCH_ITEMS events to /api/v1/events/batch/, `--clients` at once.
Fan-out tasks go to the bench broker (Redis db 15) with no worker, and are purged afterwards:
this measures ingestion, not fan-out (B3).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "feedhub.settings")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402

from apps.accounts.models import User  # noqa: E402
from apps.integrations.services.keys import api_key_create, integration_create  # noqa: E402
from feedhub.celery import app as celery_app  # noqa: E402

from .feedhub_runner import ms, pct, reset_to_dataset  # noqa: E402
from .tiers import TIERS, Tier  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BASE_PORT = 8310


def start_servers(n: int) -> list[subprocess.Popen]:
    env = {**os.environ, "FEEDHUB_API_KEY_RATE": "100000000/min", "LOG_LEVEL": "WARNING"}
    daphne = str(ROOT / ".venv" / "bin" / "daphne")
    procs = [
        subprocess.Popen(
            [daphne, "-b", "127.0.0.1", "-p", str(BASE_PORT + i), "feedhub.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(n)
    ]
    deadline = time.monotonic() + 60
    for i in range(n):
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{BASE_PORT + i}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("Daphne did not start")
            time.sleep(0.2)
    return procs


def stop_servers(procs: list[subprocess.Popen]) -> None:
    """Stop the servers; one still finishing a long batch after 30 s is killed."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def event(tier: Tier, n: int) -> dict[str, Any]:
    deal = tier.mega_records + tier.hot_records + 1 + n % 1000
    return {
        "type": "Update",
        "actor": f"feedhub:user:{tier.users - n % 100}",
        "object": {"type": "Deal", "id": f"feedhub:deal:{deal}"},
        "summary": "Stage moved in the CRM",
    }


async def drive(
    tier: Tier, servers: int, clients: int, seconds: float, secret: str, batch: int
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    path = "/api/v1/events/batch/" if batch else "/api/v1/events/"
    times: list[float] = []
    failures = 0
    counter = 0
    deadline = time.perf_counter() + seconds

    async def client(worker: int) -> None:
        nonlocal failures, counter
        port = BASE_PORT + worker % servers
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60
        ) as http:
            while time.perf_counter() < deadline:
                counter += 1
                n = counter
                body = [event(tier, n * batch + i) for i in range(batch)] if batch else event(tier, n)
                t0 = time.perf_counter()
                response = await http.post(path, content=json.dumps(body))
                times.append(time.perf_counter() - t0)
                if response.status_code not in (200, 201, 207):
                    failures += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    wall = time.perf_counter() - t0
    events = len(times) * (batch or 1)
    return {
        "clients": clients,
        "servers": f"{servers} Daphne processes",
        "events_per_s": round(events / wall, 1),
        "requests": len(times),
        "failures": failures,
        "p50_ms": ms(pct(times, 0.5)),
        "p99_ms": ms(pct(times, 0.99)),
    } | ({"batch_size": batch} if batch else {})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tier", default="quick", choices=sorted(TIERS))
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    tier = TIERS[args.tier].scaled(args.scale)
    reset_to_dataset(tier)
    owner = User.objects.get(pk=tier.users)
    integration = integration_create(name=f"bench-{time.time_ns()}", owner=owner)
    secret = api_key_create(integration=integration, name="bench", scopes=["events:write"]).secret
    procs = start_servers(args.servers)
    try:
        b1 = asyncio.run(drive(tier, args.servers, args.clients, args.seconds, secret, batch=0))
        batch = settings.FEEDHUB_INTEGRATIONS["MAX_BATCH_ITEMS"]
        b2 = asyncio.run(drive(tier, args.servers, args.servers * 2, args.seconds, secret, batch=batch))
    finally:
        stop_servers(procs)
        celery_app.control.purge()
    print(json.dumps({"B1": b1, "B2": b2}))
    print("done", file=sys.stderr)


if __name__ == "__main__":
    main()
